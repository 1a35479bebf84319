/* ctdhub dashboard: on phones, fold the filter form behind its button; draw each chart interactively with vega-embed (tooltips with the estimate and its
   90 % interval, legend filtering, width following the screen). The server-rendered SVG image stays in
   the page as the no-JavaScript fallback and for print; it is hidden once the interactive chart is drawn.
   `ast: true` runs Vega's expression interpreter, so the page needs no 'unsafe-eval'. */
(function () {
  "use strict";
  // d3-format locales of the dashboard's languages (axis numbers; tooltips carry preformatted text)
  var LOCALES = {
    en: { decimal: ".", thousands: ",", grouping: [3], currency: ["£", ""] },
    fr: { decimal: ",", thousands: "\u202f", grouping: [3], currency: ["", "\u00a0€"], percent: "\u202f%" },
    es: { decimal: ",", thousands: ".", grouping: [3], currency: ["", "\u00a0€"] }
  };

  function draw(el) {
    var data = document.getElementById(el.getAttribute("data-spec"));
    if (!data) {
      return;
    }
    var spec = JSON.parse(data.textContent);
    var lang = document.documentElement.lang || "en";
    if (window.matchMedia("(max-width: 40rem)").matches) {
      // a phone: the legend goes under the plot, which keeps the screen's width
      spec.config = spec.config || {};
      spec.config.legend = Object.assign({}, spec.config.legend, { orient: "bottom", direction: "vertical", labelLimit: 300 });
    }
    window.vegaEmbed(el, spec, {
      renderer: "svg",
      actions: false,
      ast: true,
      formatLocale: LOCALES[lang] || LOCALES.en
    }).then(function () {
      var figure = el.closest("figure");
      if (figure) {
        figure.classList.add("interactive");
      }
    }).catch(function (err) {
      // the SVG image stays visible; the error is reported for the browser tests to catch
      console.error("ctdhub: chart " + el.getAttribute("data-spec") + " could not be drawn: " + err);
    });
  }

  function foldFilters() {
    var box = document.querySelector("details.filter-box");
    // open in the HTML (usable without JavaScript); folded on a narrow screen unless a filter is set
    if (box && window.matchMedia("(max-width: 40rem)").matches && !box.hasAttribute("data-active")) {
      box.open = false;
    }
  }

  function init() {
    foldFilters();
    if (typeof window.vegaEmbed !== "function") {
      return;
    }
    var charts = document.querySelectorAll(".vega-chart[data-spec]");
    for (var i = 0; i < charts.length; i++) {
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
