// The action-framework wizard. Everything works without this file; with it:
// - a screen with a problem (400) is shown in place like any other screen when htmx swaps the screens;
// - the "Print this plan" button appears, and the folded-away basis of each step is opened for printing.
document.addEventListener("htmx:beforeSwap", function (event) {
  // The form that was sent: the event itself fires on the swap target, the body.
  var form = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (event.detail.xhr.status === 400 && form && form.closest && form.closest("[data-wizard]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});

window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.step-basis:not([open])").forEach(function (details) {
    details.setAttribute("open", "");
    details.setAttribute("data-opened-for-print", "");
  });
});

window.addEventListener("afterprint", function () {
  document.querySelectorAll("details[data-opened-for-print]").forEach(function (details) {
    details.removeAttribute("open");
    details.removeAttribute("data-opened-for-print");
  });
});
