// Draws every chart of a page: an element with data-chart="ID" gets the Vega-Lite specification held in the
// JSON script element ID (made with Django's json_script). Runs under the strict CSP: Vega's expression
// interpreter instead of eval, and vega-embed's own styles switched off (insights/charts.css has them).
// Each chart gets buttons to download it as SVG and PNG; the data table next to it stays the accessible form.
(function () {
  "use strict";

  // Numbers and dates in the page's language (Vega's defaults are American English).
  var LOCALES = {
    nl: {
      format: { decimal: ",", thousands: ".", grouping: [3], currency: ["\u20ac\u00a0", ""] },
      time: {
        dateTime: "%a %e %B %Y %X",
        date: "%d-%m-%Y",
        time: "%H:%M:%S",
        periods: ["AM", "PM"],
        days: ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
        shortDays: ["zo", "ma", "di", "wo", "do", "vr", "za"],
        months: ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december"],
        shortMonths: ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
      },
    },
  };

  function pageLocale() {
    var language = (document.documentElement.getAttribute("lang") || "en").split("-")[0];
    return LOCALES[language] || null;
  }

  function fileName(element, extension) {
    var base = element.getAttribute("data-chart-file") || element.getAttribute("data-chart") || "chart";
    return base + "." + extension;
  }

  function download(url, name) {
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function addDownloads(element, view) {
    var bar = element.parentNode.querySelector("[data-chart-downloads='" + element.getAttribute("data-chart") + "']");
    if (!bar) {
      return;
    }
    bar.hidden = false;
    bar.querySelectorAll("button[data-format]").forEach(function (button) {
      button.addEventListener("click", function () {
        var format = button.getAttribute("data-format");
        view.toImageURL(format, format === "png" ? 2 : 1).then(function (url) {
          download(url, fileName(element, format));
        });
      });
    });
  }

  function draw(element) {
    var holder = document.getElementById(element.getAttribute("data-chart"));
    if (!holder || typeof vegaEmbed === "undefined") {
      return;
    }
    var spec = JSON.parse(holder.textContent);
    var options = {
      actions: false,
      defaultStyle: false,
      renderer: "svg",
      ast: true,
      expr: vegaInterpreter.expressionInterpreter,
      tooltip: { disableDefaultStyle: true },
    };
    var locale = pageLocale();
    if (locale) {
      options.formatLocale = locale.format;
      options.timeFormatLocale = locale.time;
    }
    vegaEmbed(element, spec, options)
      .then(function (result) {
        element.setAttribute("data-chart-ready", "true");
        var svg = element.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", spec.description || spec.title || "");
        }
        addDownloads(element, result.view);
      })
      .catch(function (error) {
        element.setAttribute("data-chart-ready", "failed");
        element.textContent = element.getAttribute("data-chart-error") || String(error);
      });
  }

  function drawAll() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
