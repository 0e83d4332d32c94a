/* The dashboard's campaign panels: polls GET /v1/dashboard/campaigns (the admin session
 * cookie) and shows triggers, offers, attribution by channel and experiments, the charts
 * drawn with Chart.js. */
(function () {
  "use strict";

  var REFRESH_MS = 4000;
  var WINDOW_NOTE = { "1h": "last hour", "1d": "last day", "7d": "last week" };
  var COLORS = {
    web: "#2563eb", app: "#7c3aed", store: "#059669", pos: "#d97706", email: "#db2777",
    sms: "#0891b2", push: "#65a30d", ads: "#dc2626", associate: "#0d9488", "(none)": "#94a3b8"
  };
  var updates = 0;
  var experimentCharts = {}; /* canvas id -> Chart */

  function $(selector, root) { return (root || document).querySelector(selector); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function cell(value, text) {
    return el("td", { "data-value": value == null ? "" : String(value), text: text == null ? String(value) : text });
  }

  function money(value) { return value == null ? "—" : "$" + Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 }); }
  function percent(value) { return value == null ? "—" : (100 * value).toFixed(1) + "%"; }
  function pValue(stat) {
    if (!stat || stat.unavailable || stat.pValue == null) return "—";
    return stat.pValue < 0.001 ? "<0.001" : stat.pValue.toFixed(3);
  }

  var channels = new Chart($("#channels-chart"), {
    type: "bar",
    data: { labels: [], datasets: [
      { label: "revenue", data: [], backgroundColor: [], borderRadius: 6, yAxisID: "y" },
      { label: "conversions", data: [], type: "line", showLine: false, pointRadius: 5, borderColor: "#0f172a", backgroundColor: "#0f172a", yAxisID: "y1" }
    ] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, title: { display: true, text: "revenue ($)" } },
        y1: { beginAtZero: true, position: "right", grid: { display: false }, ticks: { precision: 0 }, title: { display: true, text: "conversions" } }
      },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
    }
  });

  function renderTriggers(triggers) {
    var body = $("#triggers-table tbody");
    body.textContent = "";
    triggers.forEach(function (t) {
      var reasons = Object.keys(t.blocked);
      var why = reasons.length ? el("td", { class: "reasons" }, [el("div", { class: "chips" }, reasons.map(function (r) {
        return el("span", { class: "badge badge-muted", "data-reason": r, text: r + " · " + t.blocked[r] });
      }))]) : el("td", { class: "muted", text: "—" });
      body.appendChild(el("tr", { "data-trigger": t.id, "data-fired": String(t.fired) }, [
        el("td", {}, [el("strong", { text: t.id }), el("div", { class: "muted", text: t.type + (t.enabled ? "" : " · disabled") })]),
        cell(t.fired), why,
        cell(t.activations.delivered), cell(t.activations.pending), cell(t.activations.dead)
      ]));
    });
  }

  function renderOffers(offers) {
    var body = $("#offers-table tbody");
    body.textContent = "";
    offers.forEach(function (o) {
      var fill = el("span");
      fill.style.width = Math.min(100, Math.max(2, 100 * o.spent / (o.budget || 1))) + "%";
      var spent = o.budget ? el("td", { "data-value": String(o.spent) }, [
        el("span", { class: "rank-meter", title: o.spent + " of " + o.budget }, [fill]),
        el("small", { class: "muted", text: o.spent.toLocaleString() + " / " + o.budget.toLocaleString() })
      ]) : cell(o.spent, o.spent.toLocaleString() + " (no budget)");
      body.appendChild(el("tr", { "data-offer": o.id }, [
        el("td", {}, [el("strong", { text: o.id }), el("div", { class: "muted", text: o.kind })]),
        spent, cell(o.sends), cell(o.delivered),
        cell(o.conversions, Number(o.conversions).toLocaleString(undefined, { maximumFractionDigits: 2 })),
        cell(o.revenue, money(o.revenue))
      ]));
    });
  }

  function renderChannels(rows) {
    channels.data.labels = rows.map(function (r) { return r.channel; });
    channels.data.datasets[0].data = rows.map(function (r) { return r.revenue; });
    channels.data.datasets[0].backgroundColor = rows.map(function (r) { return COLORS[r.channel] || "#334155"; });
    channels.data.datasets[1].data = rows.map(function (r) { return r.conversions; });
    channels.update();
  }

  /* Each variant's difference from the control: the interval as a floating bar, the
   * estimate as a point. */
  function intervalChart(id, title, scale, comparisons, key) {
    var labels = comparisons.map(function (c) { return c.arm + " − " + c.vs; });
    var stats = comparisons.map(function (c) { return c[key] && !c[key].unavailable ? c[key] : null; });
    var data = {
      labels: labels,
      datasets: [
        { label: "confidence interval", data: stats.map(function (s) { return s ? [scale * s.low, scale * s.high] : null; }), backgroundColor: "rgba(59,130,246,0.35)", borderColor: "#2563eb", borderWidth: 1, borderSkipped: false, barPercentage: 0.4 },
        { label: "difference", type: "line", showLine: false, data: stats.map(function (s) { return s ? scale * s.difference : null; }), pointRadius: 6, pointStyle: "rectRot", borderColor: "#0f172a", backgroundColor: "#0f172a" }
      ]
    };
    var canvas = el("canvas", { id: id, "aria-label": title });
    var box = el("div", { class: "chart-box chart-small" }, [canvas]);
    experimentCharts[id] = new Chart(canvas, {
      type: "bar",
      data: data,
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { grid: { display: false } }, y: { title: { display: true, text: title } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
      }
    });
    return box;
  }

  function experimentBlock(x) {
    var total = x.arms.reduce(function (sum, a) { return sum + a.customers; }, 0);
    var srm = x.srm && !x.srm.unavailable
      ? el("span", { class: "badge " + (x.srm.mismatch ? "badge-no" : "badge-ok"), "data-srm": String(x.srm.mismatch), text: x.srm.mismatch ? "sample ratio mismatch (p " + pValue(x.srm) + ")" : "arm sizes as planned" })
      : el("span", { class: "badge badge-muted", "data-srm": "", text: "SRM: " + ((x.srm && x.srm.unavailable) || "not yet") });
    var byArm = {};
    x.comparisons.forEach(function (c) { byArm[c.arm] = c; });
    var rows = x.arms.map(function (a) {
      var c = byArm[a.arm];
      var seq = c && c.sequential ? c.sequential : {};
      return el("tr", { "data-arm": a.arm }, [
        el("td", { text: a.arm + (a.arm === x.control ? " (control)" : "") }),
        cell(a.customers), cell(a.conversionRate, percent(a.conversionRate)), cell(a.revenuePerCustomer, money(a.revenuePerCustomer)),
        el("td", { text: c ? pValue(c.conversion) : "" }), el("td", { text: c ? pValue(seq.conversion) : "" }),
        el("td", { text: c ? pValue(c.revenuePerCustomer) : "" }), el("td", { text: c ? pValue(seq.revenuePerCustomer) : "" })
      ]);
    });
    var table = el("table", { class: "stock-table data-table" }, [
      el("thead", {}, [el("tr", {}, ["Arm", "Customers", "Conversion", "Revenue / customer", "p (z-test)", "always-valid p", "p (Welch)", "always-valid p"].map(function (h) { return el("th", { text: h }); }))]),
      el("tbody", {}, rows)
    ]);
    var charts = el("div", { class: "experiment-charts" }, [
      intervalChart("exp-" + x.experiment + "-conversion", "conversion, points", 100, x.comparisons, "conversion"),
      intervalChart("exp-" + x.experiment + "-revenue", "revenue / customer, $", 1, x.comparisons, "revenuePerCustomer")
    ]);
    return el("div", { class: "experiment", "data-experiment": x.experiment, "data-customers": String(total) }, [
      el("h3", {}, [el("span", { text: x.experiment + " " }), el("span", { class: "muted", text: total + " customers · " + Math.round(100 * x.confidence) + "% intervals · " }), srm]),
      table, charts
    ]);
  }

  function renderExperiments(experiments) {
    var box = $("#experiments");
    if (!experiments.length) return;
    Object.keys(experimentCharts).forEach(function (id) { experimentCharts[id].destroy(); });
    experimentCharts = {};
    box.textContent = "";
    experiments.forEach(function (x) { box.appendChild(experimentBlock(x)); });
  }

  function render(data) {
    renderTriggers(data.triggers);
    renderOffers(data.offers);
    renderChannels(data.channels);
    renderExperiments(data.experiments);
    document.querySelectorAll(".campaign-window").forEach(function (node) { node.textContent = WINDOW_NOTE[data.window]; });
    updates += 1;
    $("#dash").setAttribute("data-campaign-updates", String(updates));
  }

  function windowName() {
    var active = document.querySelector("[data-window].active");
    return active ? active.getAttribute("data-window") : "1d";
  }

  function poll() {
    fetch("/v1/dashboard/campaigns?window=" + windowName(), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(render)
      .catch(function () { /* dashboard.js shows the connection state */ })
      .then(function () { setTimeout(poll, REFRESH_MS); });
  }

  poll();
})();
