// Site-wide behaviour without inline scripts (the CSP forbids them).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.classList.contains("js-autosubmit")) {
    el.form.submit();
  }
});
