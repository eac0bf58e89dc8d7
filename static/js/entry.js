// Data-entry pages: validation of figure inputs in the browser, selection helpers.
// No inline scripts (a CSP forbids them); rules come from data-* attributes the
// server renders from the indicator (data-kind, data-min, data-max). The server
// validates again; these messages mirror services.parse_number / value_errors.
(function () {
  "use strict";

  var NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  var MAX_PLACES = 4;

  function toHalfWidth(text) {
    // Full-width digits and punctuation from Chinese input methods (NFKC does the same on the server).
    return text.replace(/[\uff01-\uff5e]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
    }).replace(/\u3000/g, " ");
  }

  function decimals(text) {
    var m = text.replace(/^[+-]/, "").match(/^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/);
    if (!m) { return 0; }
    var frac = (m[2] || "").replace(/0+$/, "").length;
    var exp = m[3] ? parseInt(m[3], 10) : 0;
    return Math.max(0, frac - exp);
  }

  // The Chinese message for a raw value, or "" when it is acceptable.
  function problem(input) {
    var raw = input.value.trim();
    if (raw === "") { return ""; }
    var text = toHalfWidth(raw).replace(/\s+/g, "");
    if (text.indexOf(",") >= 0) { return "“" + raw + "”含千位分隔符，请只填写数字，例如 12345.6"; }
    if (!NUMBER.test(text)) { return "“" + raw + "”不是数字"; }
    var value = Number(text);
    if (!isFinite(value)) { return "“" + raw + "”不是有效数字"; }
    if (decimals(text) > MAX_PLACES) { return "数值 " + raw + " 小数位数超过 " + MAX_PLACES + " 位"; }
    var min = input.dataset.min, max = input.dataset.max;
    if (min !== undefined && min !== "" && value < Number(min)) { return "数值 " + raw + " 小于指标下限 " + min; }
    if (max !== undefined && max !== "" && value > Number(max)) { return "数值 " + raw + " 大于指标上限 " + max; }
    if (input.dataset.kind === "count" && !Number.isInteger(value)) { return "数量类指标须为整数，收到 " + raw; }
    return "";
  }

  function errorBox(input) {
    var id = input.getAttribute("aria-describedby");
    return id ? document.getElementById(id) : null;
  }

  function check(input) {
    var message = problem(input);
    input.setCustomValidity(message);
    input.classList.toggle("invalid", message !== "");
    input.setAttribute("aria-invalid", message ? "true" : "false");
    var box = errorBox(input);
    if (box) {
      var own = box.querySelector(".js-client-error");
      if (!own) {
        own = document.createElement("div");
        own.className = "js-client-error";
        box.insertBefore(own, box.firstChild);
      }
      own.textContent = message;
    }
    var row = input.closest("tr");
    if (row) {
      var original = row.querySelector("input[name^='o_']");
      row.classList.toggle("changed", !!original && original.value !== input.value.trim());
    }
    return message === "";
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.classList.contains("js-value")) { check(el); }
  });

  // Block a submit while any value is invalid and put the cursor on the first bad one.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var inputs = form.querySelectorAll("input.js-value");
    var firstBad = null;
    inputs.forEach(function (input) {
      if (!check(input) && !firstBad) { firstBad = input; }
    });
    if (firstBad) {
      event.preventDefault();
      firstBad.focus();
      var banner = document.getElementById("js-form-error");
      if (!banner) {
        banner = document.createElement("div");
        banner.id = "js-form-error";
        banner.className = "notice error-notice";
        banner.setAttribute("role", "alert");
        form.insertBefore(banner, form.firstChild);
      }
      banner.textContent = "有数值不符合要求，请按红色提示修改后再保存。";
      return;
    }
    var submitter = event.submitter;
    if (submitter && submitter.classList.contains("js-needs-selection")) {
      var chosen = form.querySelectorAll("input.js-select:checked, input[name='pick']:checked");
      if (chosen.length === 0) {
        event.preventDefault();
        window.alert("请先勾选要处理的数据。");
      }
    }
  }, true);

  // "Select all" checkboxes.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.classList.contains("js-select-all")) {
      var form = el.closest("form") || document;
      form.querySelectorAll("input.js-select").forEach(function (box) { box.checked = el.checked; });
    }
  });

  // Re-check values the server sent back so client and server messages agree.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input.js-value").forEach(function (input) {
      if (input.value.trim() !== "") { check(input); }
    });
  });
})();
