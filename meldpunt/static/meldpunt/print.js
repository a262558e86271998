// The receipt page's "Print" button: hidden without JavaScript (the page then says how to print instead).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
