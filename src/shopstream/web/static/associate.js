/* The store-associate app: customer look-up and view, catalogue with this store's stock, and
 * the live "customers nearby" feed. Everything comes from /v1/associate/stores/{store}/...,
 * which checks the signed-in associate's session cookie. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("page-config").textContent);
  var base = "/v1/associate/stores/" + encodeURIComponent(config.storeId);
  var nearby = {}; /* customerId -> card */

  function $(selector, root) { return (root || document).querySelector(selector); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child == null) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function money(value) { return value == null ? "—" : "$" + Number(value).toFixed(2); }

  function when(iso) {
    if (!iso) return "—";
    var date = new Date(iso);
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric" }) + " " +
      date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function get(path) {
    return fetch(base + path, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          window.location.assign("/associate");
          throw new Error("signed out");
        }
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || "request failed");
          return body;
        });
      });
  }

  /* -- look-up ------------------------------------------------------------------------- */

  $("#lookup-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = $("#lookup").value.trim();
    var list = $("#lookup-results");
    if (!q) return;
    list.textContent = "";
    get("/customers?q=" + encodeURIComponent(q)).then(function (body) {
      if (!body.customers.length) {
        list.appendChild(el("li", { class: "muted empty-note", text: "No customer matches “" + q + "”." }));
      }
      body.customers.forEach(function (c) {
        var item = el("li", { class: "result", "data-customer-id": c.customerId, tabindex: "0" }, [
          el("strong", { text: c.name || "Unnamed customer" }),
          el("span", { class: "muted", text: [c.loyaltyId, c.email].filter(Boolean).join(" · ") || c.customerId }),
          el("span", { class: "chips" }, [
            c.hereNow ? el("span", { class: "badge badge-ok", text: "In store" }) : null,
            el("span", { class: "badge", text: c.orders + " orders" }),
            el("span", { class: "badge", text: c.visitsHere + " visits here" })
          ])
        ]);
        item.addEventListener("click", function () { openCustomer(c.customerId); });
        list.appendChild(item);
      });
    }).catch(function (error) {
      list.appendChild(el("li", { class: "form-error", text: error.message }));
    });
  });

  /* -- one customer --------------------------------------------------------------------- */

  function section(title, id, children) {
    return el("section", { class: "view-section", id: id }, [el("h3", { text: title })].concat(children));
  }

  function zoneLabel(item) {
    if (item.stockHere > 0) {
      return el("span", { class: "badge badge-ok" }, [item.stockHere + " here" + (item.zone ? " · " + item.zone.name : "")]);
    }
    return el("span", { class: "badge badge-muted", text: "Not in stock here" });
  }

  function productRow(item, extra) {
    return el("li", { class: "product-row", "data-product-id": item.productId }, [
      el("div", { class: "product-main" }, [
        el("strong", { text: item.name }),
        el("span", { class: "muted", text: [item.brand, item.category].filter(Boolean).join(" · ") })
      ]),
      el("span", { class: "price", text: money(item.price) }),
      el("div", { class: "product-foot" }, [extra || el("span"), zoneLabel(item)])
    ]);
  }

  function list(items, render, empty) {
    if (!items.length) return el("p", { class: "muted", text: empty });
    return el("ul", { class: "product-list" }, items.map(render));
  }

  function openCustomer(customerId) {
    showTab("customer");
    var view = $("#customer-view");
    $("#customer-empty").hidden = true;
    view.hidden = false;
    view.textContent = "";
    view.appendChild(el("p", { class: "muted", text: "Loading…" }));
    get("/customers/" + encodeURIComponent(customerId)).then(function (c) {
      renderCustomer(view, c);
      return get("/customers/" + encodeURIComponent(customerId) + "/recommendations");
    }).then(function (recs) {
      renderRecommendations(recs);
    }, function (error) {
      var box = $("#customer-recs");
      if (box && error.message !== "signed out") {
        box.setAttribute("data-state", "error");
        box.querySelectorAll("p, ul").forEach(function (node) { node.remove(); });
        box.appendChild(el("p", { class: "form-error", text: error.message }));
        return;
      }
      throw error;
    }).catch(function (error) {
      view.textContent = "";
      view.appendChild(el("p", { class: "form-error", text: error.message }));
    });
  }

  function renderCustomer(view, c) {
    var traits = c.traits || {};
    var presence = c.presence;
    var visitsHere = (c.storeVisits || []).filter(function (v) { return v.storeId === config.storeId; })[0];
    var consent = Object.keys(c.consent || {}).map(function (purpose) {
      var value = c.consent[purpose];
      var cls = value === true ? "badge-ok" : value === false ? "badge-no" : "badge-muted";
      return el("span", { class: "badge " + cls, text: purpose + (value === true ? " ✓" : value === false ? " ✗" : " ?") });
    });
    var header = el("div", { class: "customer-header", "data-customer-id": c.customerId }, [
      el("div", {}, [
        el("h2", { id: "customer-name", text: c.name || "Unnamed customer" }),
        el("div", { class: "muted", text: [traits.loyalty_id && "Loyalty " + traits.loyalty_id, traits.email, traits.phone].filter(Boolean).join(" · ") })
      ]),
      el("div", { class: "chips" }, [
        presence && presence.here ? el("span", { class: "badge badge-ok", id: "presence-here", text: "In store now" + (presence.zoneName ? " · " + presence.zoneName : "") }) : null,
        el("span", { class: "badge", text: (c.rfm ? c.rfm.orderCount : 0) + " orders · " + money(c.rfm ? c.rfm.revenue : 0) }),
        el("span", { class: "badge", text: (visitsHere ? visitsHere.count : 0) + " visits here" }),
        el("span", { class: "badge", text: "Last seen " + when(c.lastSeen) })
      ])
    ]);
    var cartLines = (c.cart && c.cart.lines) || [];
    var affinities = (c.affinities && c.affinities.categories) || [];
    var top = affinities.length ? affinities[0].score : 1;
    view.textContent = "";
    view.appendChild(header);
    view.appendChild(el("div", { class: "consent" }, [el("span", { class: "muted", text: "Consent " })].concat(consent)));
    view.appendChild(el("div", { class: "view-grid" }, [
      section("Cart", "customer-cart", [list(cartLines, function (line) {
        return productRow(line, el("span", { class: "qty", text: "× " + line.quantity }));
      }, "The cart is empty.")]),
      section("Recommended here", "customer-recs", [el("p", { class: "muted", text: "Loading…" })]),
      section("Wish list", "customer-wishlist", [list(c.wishlist || [], function (item) { return productRow(item); }, "Nothing saved.")]),
      section("Purchase history", "customer-orders", [(c.orders || []).length ? el("ul", { class: "orders" }, c.orders.map(function (order) {
        return el("li", { class: "order" }, [
          el("div", { class: "order-head" }, [
            el("span", { class: "badge badge-channel", text: order.channel || "?" }),
            el("strong", { text: money(order.total) }),
            el("span", { class: "muted", text: when(order.at) + (order.storeName ? " · " + order.storeName : "") })
          ]),
          el("div", { class: "muted", text: order.items.map(function (i) { return i.quantity + "× " + i.name; }).join(", ") })
        ]);
      })) : el("p", { class: "muted", text: "No orders yet." })]),
      section("Interests", "customer-affinities", [affinities.length ? el("ul", { class: "bars" }, affinities.slice(0, 6).map(function (a) {
        var bar = el("span", { class: "bar" });
        bar.style.width = Math.max(4, Math.round(100 * a.score / top)) + "%";
        return el("li", {}, [el("span", { class: "bar-label", text: a.key.split("/").join(" › ") }), el("span", { class: "bar-track" }, [bar])]);
      })) : el("p", { class: "muted", text: "Not enough activity yet." })]),
      section("Recently viewed", "customer-viewed", [list((c.recentlyViewed || []).slice(0, 6), function (item) { return productRow(item); }, "Nothing viewed recently.")])
    ]));
  }

  function renderRecommendations(recs) {
    var box = $("#customer-recs");
    if (!box) return;
    box.querySelectorAll("p, ul").forEach(function (node) { node.remove(); });
    box.setAttribute("data-state", "ready");
    box.setAttribute("data-decision-id", recs.decisionId || "");
    box.appendChild(list(recs.items, function (item) {
      return productRow(item, item.reason ? el("span", { class: "reason", text: item.reason }) : null);
    }, "No recommendations for this customer yet."));
  }

  /* -- catalogue -------------------------------------------------------------------------- */

  $("#catalogue-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = $("#catalogue-q").value.trim();
    var body = $("#catalogue-results tbody");
    if (!q) return;
    get("/products?q=" + encodeURIComponent(q)).then(function (result) {
      body.textContent = "";
      result.products.forEach(function (p) {
        body.appendChild(el("tr", { "data-product-id": p.productId }, [
          el("td", {}, [el("strong", { text: p.name }), el("div", { class: "muted", text: p.brand || "" })]),
          el("td", { text: money(p.price) }),
          el("td", { class: p.stockHere > 0 ? "ok" : "no", text: String(p.stockHere) }),
          el("td", { text: p.zone ? p.zone.name : "—" }),
          el("td", { text: String(p.stockOnline) }),
          el("td", { class: "muted", text: p.otherStores.map(function (s) { return s.name + " (" + s.quantity + ")"; }).join(", ") || "—" })
        ]));
      });
      if (!result.products.length) body.appendChild(el("tr", {}, [el("td", { colspan: "6", class: "muted", text: "No products match." })]));
    });
  });

  /* -- tabs --------------------------------------------------------------------------------- */

  function showTab(name) {
    document.querySelectorAll(".tab").forEach(function (tab) {
      tab.classList.toggle("active", tab.getAttribute("data-tab") === name);
    });
    $("#panel-customer").hidden = name !== "customer";
    $("#panel-catalogue").hidden = name !== "catalogue";
  }

  document.querySelectorAll(".tab").forEach(function (tab) {
    tab.addEventListener("click", function () { showTab(tab.getAttribute("data-tab")); });
  });

  /* -- customers nearby: server-sent events ---------------------------------------------------- */

  function renderNearby() {
    var list = $("#nearby-list");
    var cards = Object.keys(nearby).map(function (id) { return nearby[id]; })
      .sort(function (a, b) { return (b.seenAt || 0) - (a.seenAt || 0); });
    list.textContent = "";
    if (!cards.length) {
      list.appendChild(el("li", { class: "muted empty-note", text: "No known customers in the store right now." }));
    }
    cards.forEach(function (card) {
      var item = el("li", { class: "nearby-card" + (card.fresh ? " fresh" : ""), "data-customer-id": card.customerId, tabindex: "0" }, [
        el("strong", { text: card.name }),
        el("span", { class: "muted", text: (card.zone ? card.zone.name : "Entrance") + (card.at ? " · " + when(card.at) : "") }),
        el("span", { class: "chips" }, [
          card.cartItems ? el("span", { class: "badge badge-warn", text: card.cartItems + " in cart" }) : null,
          el("span", { class: "badge", text: card.visitsHere + " visits" }),
          card.loyaltyId ? el("span", { class: "badge", text: card.loyaltyId }) : null
        ])
      ]);
      item.addEventListener("click", function () { openCustomer(card.customerId); });
      list.appendChild(item);
    });
  }

  function listen() {
    var status = $("#nearby-status");
    var source = new EventSource(base + "/nearby");
    function upsert(event, fresh) {
      var card = JSON.parse(event.data);
      card.seenAt = Date.now();
      card.fresh = fresh;
      nearby[card.customerId] = card;
      renderNearby();
    }
    source.addEventListener("open", function () { status.classList.add("on"); });
    source.addEventListener("error", function () { status.classList.remove("on"); });
    source.addEventListener("present", function (event) { upsert(event, false); });
    source.addEventListener("enter", function (event) { upsert(event, true); });
    source.addEventListener("exit", function (event) {
      delete nearby[JSON.parse(event.data).customerId];
      renderNearby();
    });
  }

  listen();

  /* -- alerts for this store (fired triggers, delivered by the deliverer): server-sent events -- */

  function listenAlerts() {
    var status = $("#alerts-status");
    var list = $("#alerts-list");
    var source = new EventSource(base + "/alerts/stream");
    source.addEventListener("open", function () { status.classList.add("on"); });
    source.addEventListener("error", function () { status.classList.remove("on"); });
    source.addEventListener("alert", function (event) {
      var alert = JSON.parse(event.data);
      var offer = alert.payload.offer || {};
      var trigger = alert.payload.trigger || {};
      var title = (offer.content && offer.content.title) || alert.offerId || alert.triggerId;
      var where = trigger.zone_id ? " · " + trigger.zone_id : "";
      var item = el("li", { class: "nearby-card alert-card fresh", "data-alert-id": String(alert.id), "data-trigger": alert.triggerId, tabindex: "0" }, [
        el("strong", { text: alert.name || alert.customerId }),
        el("div", { text: title }),
        el("div", { class: "muted", text: when(alert.at) + " · " + alert.triggerId + where })
      ]);
      item.addEventListener("click", function () { openCustomer(alert.customerId); });
      var empty = $(".empty-note", list);
      if (empty) empty.remove();
      list.insertBefore(item, list.firstChild);
    });
  }

  listenAlerts();
})();
