/* The marketers' dashboard: polls GET /v1/dashboard (the admin session cookie) and draws the
 * rates and the funnel with Chart.js. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("page-config").textContent);
  var COLORS = {
    web: "#2563eb", app: "#7c3aed", store: "#059669", pos: "#d97706", email: "#db2777",
    sms: "#0891b2", push: "#65a30d", ads: "#dc2626", server: "#64748b"
  };
  var WINDOW_NOTE = { "1h": "last hour", "1d": "last day" };
  var windowName = "1h";
  var updates = 0;

  function $(selector) { return document.querySelector(selector); }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#475569";

  var rates = new Chart($("#rates-chart"), {
    type: "line",
    data: { labels: [], datasets: [] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.3 } },
      scales: {
        x: { ticks: { maxTicksLimit: 7 }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "events / s" } }
      },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
    }
  });

  var funnel = new Chart($("#funnel-chart"), {
    type: "bar",
    data: {
      labels: ["Viewed a product", "Added to cart", "Started checkout", "Ordered"],
      datasets: [{ label: "shoppers", data: [0, 0, 0, 0], backgroundColor: ["#93c5fd", "#60a5fa", "#3b82f6", "#1d4ed8"], borderRadius: 6 }]
    },
    options: {
      animation: false, /* a full-page screenshot resizes the page: no half-drawn bars */
      maintainAspectRatio: false,
      indexAxis: "y",
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
      plugins: { legend: { display: false } }
    }
  });

  function clock(epochSeconds) {
    var date = new Date(epochSeconds * 1000);
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function setKpi(id, value, text) {
    var node = $(id);
    node.setAttribute("data-value", value == null ? "" : String(value));
    node.textContent = text;
  }

  function renderRank(listId, kindId, rising, isProduct) {
    var list = $(listId);
    $(kindId).textContent = rising.kind === "emerging" ? "significantly up" : "most counted";
    list.textContent = "";
    if (!rising.items.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "Nothing yet in this window.";
      list.appendChild(empty);
    }
    var top = rising.items.length ? rising.items[0].count : 1;
    rising.items.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("data-key", item.key);
      var label = document.createElement("span");
      label.className = "rank-label";
      label.textContent = isProduct ? item.name : item.key;
      var meter = document.createElement("span");
      meter.className = "rank-meter";
      var bar = document.createElement("span");
      bar.style.width = Math.max(4, Math.round(100 * item.count / top)) + "%";
      meter.appendChild(bar);
      var value = document.createElement("span");
      value.className = "rank-value";
      value.textContent = String(item.count);
      if (item.lift) {
        var lift = document.createElement("small");
        lift.textContent = "×" + (item.lift >= 10 ? Math.round(item.lift) : item.lift.toFixed(1));
        lift.title = "counted this many times more than the week before predicts";
        value.appendChild(lift);
      }
      li.appendChild(label);
      li.appendChild(meter);
      li.appendChild(value);
      list.appendChild(li);
    });
  }

  function render(data) {
    var labels = data.rates.total.map(function (_, i) { return clock(data.rates.start + i); });
    rates.data.labels = labels;
    rates.data.datasets = Object.keys(data.rates.channels).map(function (channel) {
      var color = COLORS[channel] || "#334155";
      return { label: channel, data: data.rates.channels[channel], borderColor: color, backgroundColor: color };
    });
    rates.update();
    funnel.data.datasets[0].data = data.funnel.map(function (stage) { return stage.shoppers; });
    funnel.update();
    var k = data.kpis;
    setKpi("#kpi-eps", data.eventsPerSecond, data.eventsPerSecond.toFixed(1));
    setKpi("#kpi-shoppers", k.shoppers, k.shoppers.toLocaleString());
    setKpi("#kpi-orders", k.orders, k.orders.toLocaleString());
    setKpi("#kpi-revenue", k.revenue, "$" + k.revenue.toLocaleString(undefined, { maximumFractionDigits: 0 }));
    setKpi("#kpi-conversion", k.conversion, k.conversion == null ? "—" : (100 * k.conversion).toFixed(1) + "%");
    renderRank("#rising-products", "#rising-products-kind", data.rising.products, true);
    renderRank("#rising-searches", "#rising-searches-kind", data.rising.searches, false);
    document.querySelectorAll(".window-note").forEach(function (node) { node.textContent = WINDOW_NOTE[data.window]; });
    $("#updated-at").textContent = "updated " + new Date(data.at).toLocaleTimeString();
    updates += 1;
    $("#dash").setAttribute("data-updates", String(updates));
  }

  function poll() {
    fetch("/v1/dashboard?window=" + windowName + "&seconds=120", { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          window.location.assign("/dashboard");
          throw new Error("signed out");
        }
        return response.json();
      })
      .then(render)
      .catch(function () { $("#updated-at").textContent = "reconnecting…"; })
      .then(function () { setTimeout(poll, 1000 * (config.refreshSeconds || 2)); });
  }

  document.querySelectorAll("[data-window]").forEach(function (button) {
    button.addEventListener("click", function () {
      windowName = button.getAttribute("data-window");
      document.querySelectorAll("[data-window]").forEach(function (b) { b.classList.toggle("active", b === button); });
    });
  });

  poll();
})();
