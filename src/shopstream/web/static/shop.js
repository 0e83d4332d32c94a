/* The demo storefront: tracking with shopstream.js, a cart in localStorage, and the
 * recommendations widget, which asks POST /v1/recommendations again as the shopper browses. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("page-config").textContent);
  var CART = "shop.cart";
  var STORE = "shop.storeId";
  var products = {}; /* product details fetched for the widget, by id */
  var shopstream = window.shopstream.load({ writeKey: config.writeKey });

  function $(selector) { return document.querySelector(selector); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key.slice(0, 5) === "data-" || key === "href" || key === "type" || key === "class") node.setAttribute(key, attrs[key]);
      else node[key] = attrs[key];
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function money(value) { return value == null ? "—" : "$" + Number(value).toFixed(2); }

  function toast(text) {
    var box = $("#toast");
    box.textContent = text;
    box.classList.add("show");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.classList.remove("show"); }, 2200);
  }

  function storeId() { return localStorage.getItem(STORE) || ""; }

  /* -- cart ------------------------------------------------------------------------------ */

  function cart() {
    try { return JSON.parse(localStorage.getItem(CART)) || {}; } catch (e) { return {}; }
  }

  function saveCart(lines) {
    localStorage.setItem(CART, JSON.stringify(lines));
    var count = Object.keys(lines).reduce(function (n, id) { return n + lines[id].quantity; }, 0);
    $("#cart-count").textContent = String(count);
    $("#cart-count").classList.toggle("has-items", count > 0);
  }

  function cartId() {
    var id = localStorage.getItem("shop.cartId");
    if (!id) {
      id = "cart-" + Math.random().toString(36).slice(2, 10);
      localStorage.setItem("shop.cartId", id);
    }
    return id;
  }

  function addToCart(product) {
    var lines = cart();
    var line = lines[product.product_id] || Object.assign({}, product, { quantity: 0 });
    line.quantity += 1;
    lines[product.product_id] = line;
    saveCart(lines);
    shopstream.track("Product Added", Object.assign({}, product, { quantity: 1, cart_id: cartId(), currency: "USD" }));
    toast("Added " + product.name + " to your cart");
    refreshRecommendations();
  }

  function removeFromCart(productId) {
    var lines = cart();
    var line = lines[productId];
    if (!line) return;
    delete lines[productId];
    saveCart(lines);
    shopstream.track("Product Removed", { product_id: productId, name: line.name, price: line.price, quantity: line.quantity, cart_id: cartId() });
    renderCart();
    refreshRecommendations();
  }

  function orderLines(lines) {
    return Object.keys(lines).map(function (id) {
      var line = lines[id];
      return { product_id: id, name: line.name, brand: line.brand, category: line.category, price: line.price, quantity: line.quantity };
    });
  }

  function cartTotal(lines) {
    return Object.keys(lines).reduce(function (sum, id) {
      return sum + (lines[id].price || 0) * lines[id].quantity;
    }, 0);
  }

  function renderCart() {
    var box = $("#cart-lines");
    if (!box) return;
    var lines = cart();
    var ids = Object.keys(lines);
    box.textContent = "";
    if (!ids.length) box.appendChild(el("p", { class: "empty", text: "Your cart is empty." }));
    ids.forEach(function (id) {
      var line = lines[id];
      var remove = el("button", { type: "button", class: "link-button", text: "Remove" });
      remove.addEventListener("click", function () { removeFromCart(id); });
      box.appendChild(el("div", { class: "cart-line", "data-product-id": id }, [
        el("a", { href: "/shop/products/" + encodeURIComponent(id), class: "name", text: line.name }),
        el("span", { class: "qty", text: "× " + line.quantity }),
        el("span", { class: "price", text: money((line.price || 0) * line.quantity) }),
        remove
      ]));
    });
    $("#cart-items").textContent = String(ids.reduce(function (n, id) { return n + lines[id].quantity; }, 0));
    $("#cart-total").textContent = money(cartTotal(lines));
    $("#checkout").disabled = ids.length === 0;
  }

  function setUpCartPage() {
    renderCart();
    shopstream.track("Cart Viewed", { cart_id: cartId(), products: orderLines(cart()) });
    $("#checkout").addEventListener("click", function () {
      var lines = cart();
      shopstream.track("Checkout Started", { cart_id: cartId(), value: cartTotal(lines), currency: "USD", products: orderLines(lines) });
      $("#checkout-panel").hidden = false;
      $("#checkout").disabled = true;
    });
    $("#place-order").addEventListener("click", function () {
      var lines = cart();
      var orderId = "web-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
      var total = Math.round(cartTotal(lines) * 100) / 100;
      shopstream.track("Order Completed", { order_id: orderId, total: total, revenue: total, currency: "USD", products: orderLines(lines) });
      localStorage.removeItem("shop.cartId");
      saveCart({});
      renderCart();
      $("#checkout-panel").hidden = true;
      var done = $("#order-done");
      done.hidden = false;
      done.textContent = "Thank you! Order " + orderId + " is placed.";
      refreshRecommendations();
    });
  }

  /* -- recommendations widget ----------------------------------------------------------- */

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ Authorization: "Bearer " + config.serverKey, "Content-Type": "application/json" }, options.headers);
    return fetch(path, options);
  }

  function productDetails(id) {
    if (products[id]) return Promise.resolve(products[id]);
    return api("/v1/products/" + encodeURIComponent(id)).then(function (r) {
      return r.ok ? r.json() : { id: id, name: id };
    }).then(function (p) { products[id] = p; return p; });
  }

  var asking = 0;

  function refreshRecommendations() {
    var box = $("#recs");
    if (!box) return Promise.resolve();
    var ask = ++asking;
    var context = {};
    if (config.product) context.productId = config.product.id;
    if (storeId()) context.storeId = storeId();
    var body = {
      customer: { type: "anonymousId", id: shopstream.anonymousId() },
      placement: box.getAttribute("data-placement"),
      channel: "web",
      context: context,
      limit: 8
    };
    /* What was just tracked must reach the collector before we ask. */
    return shopstream.flush().then(function () {
      return api("/v1/recommendations", { method: "POST", body: JSON.stringify(body) });
    }).then(function (response) {
      if (response.status === 404 || response.status === 405) {
        return response.json().catch(function () { return {}; }).then(function (problem) {
          if (problem && problem.code === "http") throw new Error("unavailable");
          throw new Error("failed " + response.status);
        });
      }
      if (!response.ok) throw new Error("failed " + response.status);
      return response.json();
    }).then(function (answer) {
      var items = (answer.items || []).filter(function (item) {
        return !config.product || item.productId !== config.product.id;
      });
      return Promise.all(items.map(function (item) { return productDetails(item.productId); }))
        .then(function (details) {
          if (ask === asking) renderRecommendations(box, answer.decisionId, items, details);
        });
    }).catch(function (error) {
      if (ask !== asking) return;
      box.setAttribute("data-state", error.message === "unavailable" ? "unavailable" : "error");
      box.textContent = "";
      box.appendChild(el("p", {
        class: "muted",
        text: error.message === "unavailable" ? "Recommendations are not available on this server yet." : "Recommendations could not be loaded."
      }));
    });
  }

  function renderRecommendations(box, decisionId, items, details) {
    box.textContent = "";
    box.setAttribute("data-state", items.length ? "ready" : "empty");
    box.setAttribute("data-decision-id", decisionId || "");
    box.setAttribute("data-items", items.map(function (item) { return item.productId; }).join(","));
    if (!items.length) {
      box.appendChild(el("p", { class: "muted", text: "Browse a little and we will suggest something." }));
      return;
    }
    items.forEach(function (item, i) {
      var p = details[i];
      var link = el("a", { href: "/shop/products/" + encodeURIComponent(item.productId), class: "rec-card", "data-product-id": item.productId }, [
        el("div", { class: "tile tile-small tile-" + tile(p.category && p.category.length ? p.category.join(" > ") : item.productId) }, [el("span", { text: (p.name || "?").slice(0, 1) })]),
        el("div", { class: "rec-name", text: p.name || item.productId }),
        el("div", { class: "rec-price", text: money(p.price) }),
        el("div", { class: "rec-reason", text: item.reason || "" }),
        item.inStock === false ? el("span", { class: "badge badge-muted", text: "Out of stock" }) : null
      ]);
      link.addEventListener("click", function () {
        shopstream.track("Product Clicked", { product_id: item.productId, position: i + 1, list_id: "recommendations", decision_id: decisionId });
      });
      box.appendChild(link);
    });
  }

  function tile(text) {
    /* FNV-1a over UTF-16 code units, as shopstream.api.shop.tile: the server's colours */
    var h = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % 12;
  }

  /* -- account, store, page events ----------------------------------------------------- */

  function setUpAccount() {
    var button = $("#account-button");
    var dialog = $("#account-dialog");
    var name = localStorage.getItem("shop.name");
    if (name) button.textContent = "Hi, " + name;
    button.addEventListener("click", function () { dialog.showModal(); });
    $("#account-form").addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.value === "cancel") return;
      var form = event.target;
      var traits = {
        first_name: form.first_name.value.trim(),
        last_name: form.last_name.value.trim(),
        email: form.email.value.trim()
      };
      if (form.phone.value.trim()) traits.phone = form.phone.value.trim();
      var userId = shopstream.userId() || "web-" + traits.email.toLowerCase();
      shopstream.identify(userId, traits);
      localStorage.setItem("shop.name", traits.first_name);
      button.textContent = "Hi, " + traits.first_name;
      toast("Signed in as " + traits.first_name);
      shopstream.flush();
    });
  }

  function setUpStorePicker() {
    var picker = $("#store-picker");
    (config.stores || []).forEach(function (store) {
      picker.appendChild(el("option", { value: store.id, text: store.name }));
    });
    picker.value = storeId();
    picker.addEventListener("change", function () {
      localStorage.setItem(STORE, picker.value);
      showStoreAvailability();
      refreshRecommendations();
    });
  }

  function showStoreAvailability() {
    var box = $("#store-availability");
    if (!box || !config.product) return;
    var here = (config.product.stores || []).filter(function (s) { return s.id === storeId(); })[0];
    box.textContent = "";
    if (here) {
      box.appendChild(el("span", {
        class: "badge " + (here.quantity > 0 ? "badge-ok" : "badge-muted"),
        text: (here.quantity > 0 ? here.quantity + " in stock at " : "Not in stock at ") + here.name
      }));
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".add-to-cart");
    if (button) addToCart(JSON.parse(button.getAttribute("data-product")));
  });

  saveCart(cart());
  setUpAccount();
  setUpStorePicker();
  shopstream.page(document.title, { category: config.category || undefined });
  if (config.page === "product") {
    var p = config.product;
    shopstream.track("Product Viewed", {
      product_id: p.id, name: p.name, brand: p.brand, category: p.category_label, price: p.price, currency: "USD"
    });
    showStoreAvailability();
    $("#add-to-wishlist").addEventListener("click", function () {
      shopstream.track("Product Added to Wishlist", { product_id: p.id, name: p.name, brand: p.brand, category: p.category_label, price: p.price });
      toast("Saved " + p.name + " to your wish list");
    });
  } else if (config.page === "search") {
    shopstream.track("Products Searched", { query: config.query });
  } else if (config.page === "category") {
    shopstream.track("Product List Viewed", { category: config.category, products: (config.productIds || []).slice(0, 20).map(function (id) { return { product_id: id }; }) });
  } else if (config.page === "cart") {
    setUpCartPage();
  }
  refreshRecommendations();
})();
