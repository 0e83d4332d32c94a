/*!
 * shopstream.js: Shopstream's own small browser tracker.
 *
 *   shopstream.load({ writeKey: "wk_...", host: "https://events.example.com" });
 *   shopstream.page();
 *   shopstream.track("Product Viewed", { product_id: "p1", price: 19.99 });
 *   shopstream.identify("user-42", { email: "ana@example.com" });
 *
 * Messages follow Segment's spec: each has a messageId, a timestamp, the anonymousId kept in
 * localStorage (and the userId once identified), and context.library and context.page. They
 * are batched to POST {host}/v1/batch with the write key as the HTTP Basic user name, with
 * sentAt so the collector can correct the browser's clock. When the page is hidden or left,
 * what is queued goes with navigator.sendBeacon (the write key then travels in the body, as
 * beacons cannot carry headers). Network errors, 429 and 5xx are retried with backoff; a 400
 * means the collector kept the valid events and dead-lettered the others, so nothing is resent.
 */
(function (global) {
  "use strict";

  var VERSION = "0.1.0";
  var ANONYMOUS_ID = "shopstream.anonymousId";
  var USER_ID = "shopstream.userId";
  var MAX_BATCH = 100;
  var BEACON_BATCH = 20;

  function uuid() {
    if (global.crypto && typeof global.crypto.randomUUID === "function") {
      return global.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function stored(key, value) {
    try {
      if (value === undefined) return global.localStorage.getItem(key);
      if (value === null) global.localStorage.removeItem(key);
      else global.localStorage.setItem(key, value);
    } catch (e) {
      /* storage may be off (private mode): ids then last for the page */
    }
    return value;
  }

  function assign(target) {
    for (var i = 1; i < arguments.length; i++) {
      var source = arguments[i] || {};
      for (var key in source) {
        if (Object.prototype.hasOwnProperty.call(source, key)) target[key] = source[key];
      }
    }
    return target;
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function Shopstream() {
    this.options = { writeKey: null, host: "", flushAt: 20, flushInterval: 500, retries: 5 };
    this.queue = [];
    this.timer = null;
    this.sending = Promise.resolve();
    this.ids = { anonymousId: null, userId: null };
    this.listening = false;
  }

  Shopstream.prototype.load = function (options) {
    assign(this.options, options);
    if (!this.options.writeKey) throw new Error("shopstream.load needs a writeKey");
    this.ids.anonymousId = stored(ANONYMOUS_ID) || stored(ANONYMOUS_ID, uuid());
    this.ids.userId = stored(USER_ID);
    if (!this.listening) {
      var self = this;
      global.addEventListener("pagehide", function () { self.beacon(); });
      global.document.addEventListener("visibilitychange", function () {
        if (global.document.visibilityState === "hidden") self.beacon();
      });
      this.listening = true;
    }
    return this;
  };

  Shopstream.prototype.anonymousId = function () { return this.ids.anonymousId; };
  Shopstream.prototype.userId = function () { return this.ids.userId; };

  Shopstream.prototype.reset = function () {
    this.ids.userId = stored(USER_ID, null);
    this.ids.anonymousId = stored(ANONYMOUS_ID, uuid());
  };

  Shopstream.prototype.context = function () {
    var doc = global.document;
    var loc = global.location;
    return {
      library: { name: "shopstream.js", version: VERSION },
      page: {
        path: loc.pathname,
        referrer: doc.referrer,
        search: loc.search,
        title: doc.title,
        url: loc.href
      },
      userAgent: global.navigator.userAgent,
      locale: global.navigator.language,
      screen: { width: global.screen.width, height: global.screen.height }
    };
  };

  Shopstream.prototype.enqueue = function (message) {
    message.messageId = uuid();
    message.timestamp = new Date().toISOString();
    message.anonymousId = this.ids.anonymousId;
    if (this.ids.userId && !message.userId) message.userId = this.ids.userId;
    message.context = assign(this.context(), message.context);
    this.queue.push(message);
    if (this.queue.length >= this.options.flushAt) {
      this.flush();
    } else if (!this.timer) {
      var self = this;
      this.timer = setTimeout(function () { self.flush(); }, this.options.flushInterval);
    }
    return message;
  };

  Shopstream.prototype.page = function (name, properties) {
    var loc = global.location;
    var props = assign({
      path: loc.pathname, url: loc.href, search: loc.search,
      title: global.document.title, referrer: global.document.referrer
    }, properties);
    return this.enqueue({ type: "page", name: name || global.document.title, properties: props });
  };

  Shopstream.prototype.track = function (event, properties) {
    return this.enqueue({ type: "track", event: event, properties: properties || {} });
  };

  Shopstream.prototype.identify = function (userId, traits) {
    if (userId && typeof userId === "object") {
      traits = userId;
      userId = null;
    }
    if (userId) this.ids.userId = stored(USER_ID, String(userId));
    return this.enqueue({ type: "identify", userId: this.ids.userId || undefined, traits: traits || {} });
  };

  /** Send everything queued; the promise settles once it is acknowledged (or given up). */
  Shopstream.prototype.flush = function () {
    var self = this;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.sending = this.sending.then(function () { return self.sendAll(); });
    return this.sending;
  };

  Shopstream.prototype.sendAll = function () {
    var self = this;
    if (!this.queue.length) return Promise.resolve();
    var batch = this.queue.splice(0, MAX_BATCH);
    return this.send(batch, 0).then(function () { return self.sendAll(); });
  };

  Shopstream.prototype.send = function (batch, attempt) {
    var self = this;
    var body = JSON.stringify({ batch: batch, sentAt: new Date().toISOString() });
    return global.fetch(this.options.host + "/v1/batch", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: "Basic " + global.btoa(this.options.writeKey + ":")
      },
      body: body,
      keepalive: body.length < 60000,
      credentials: "omit"
    }).then(function (response) {
      if (response.ok) return;
      if (response.status === 429 || response.status >= 500) throw new Error("retry " + response.status);
      /* 4xx: the valid events were kept and the invalid ones dead-lettered; never resend. */
      return response.json().then(function (problem) {
        global.console.warn("shopstream.js: some events were rejected:", problem.detail);
      }, function () {});
    }).catch(function (error) {
      if (attempt + 1 >= self.options.retries) {
        global.console.warn("shopstream.js: giving up on " + batch.length + " events:", error);
        return;
      }
      return sleep(Math.min(10000, 250 * Math.pow(2, attempt))).then(function () {
        return self.send(batch, attempt + 1);
      });
    });
  };

  /** The page is going away: hand what is queued to the browser to deliver. */
  Shopstream.prototype.beacon = function () {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    var url = this.options.host + "/v1/batch";
    while (this.queue.length) {
      var batch = this.queue.splice(0, BEACON_BATCH);
      var body = JSON.stringify({
        batch: batch, sentAt: new Date().toISOString(), writeKey: this.options.writeKey
      });
      var sent = false;
      if (global.navigator.sendBeacon) {
        sent = global.navigator.sendBeacon(url, new Blob([body], { type: "application/json" }));
      }
      if (!sent) this.send(batch, 0);
    }
  };

  global.shopstream = new Shopstream();
})(window);
