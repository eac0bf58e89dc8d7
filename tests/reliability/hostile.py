"""Hostile files and a raw multipart encoder for the upload tests.

Django's test client sends only the base name of a file (os.path.basename), so
a path-traversal name would never reach the server; `multipart()` writes the
Content-Disposition header verbatim, as a hostile client would.
"""

from __future__ import annotations

import functools
import io
import uuid
import zipfile
from pathlib import Path

from openpyxl import Workbook

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The start of a Windows executable ("MZ" header and DOS stub text).
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode.\r\n"
)
FORMULA = "=cmd|' /C calc'!A0"
MB = 1024 * 1024


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_part(container: bytes, name: str, data: bytes) -> bytes:
    """The zip `container` with one more part (e.g. a VBA project)."""
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(container)) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(name, data)
    return buf.getvalue()


def macro_xlsx(rows: list[list]) -> bytes:
    """A workbook carrying a VBA project (what Excel writes into .xlsm), named .xlsx."""
    return with_part(xlsx(rows), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)


def macro_docx() -> bytes:
    """A Word document with a VBA project (a .docm renamed .docx)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)
    return buf.getvalue()


@functools.cache
def zip_bomb_xlsx() -> bytes:
    """About 60 KB on the wire, 60 MB once inflated (1000:1): a sheet of zeros in a valid-looking .xlsx."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * MB))
    return buf.getvalue()


def oversize_csv(header: str, row: str, size: int) -> bytes:
    """A well-formed CSV just over `size` bytes."""
    line = (row + "\n").encode()
    return (header + "\n").encode() + line * (size // len(line) + 1)


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request with file names sent verbatim."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for field, filename, data in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
