/* CityOps operations dashboard: the map (Leaflet, no tiles needed), the live feed (Server-Sent Events) and chart
   export. CSP-safe: no inline code, no eval, no HTML built from strings — text always goes through textContent. */
(function () {
  "use strict";

  var FEED_MAX = 60;
  var REFRESH_MS = 60000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : "";
  }

  /* Colour swatches take their colour from a data attribute (no inline style in the markup). */
  function paintSwatches(root) {
    (root || document).querySelectorAll("[data-colour]").forEach(function (node) {
      var colour = node.getAttribute("data-colour");
      if (/^#[0-9a-fA-F]{3,8}$/.test(colour)) node.style.backgroundColor = colour;
    });
  }

  /* ---------------------------------------------------------------------------------------------- the map */
  var dashMap = null;

  function popupFor(props) {
    var box = el("div", "popup");
    var url = safeUrl(props.url);
    var title = url ? el("a", "popup-title", props.title) : el("strong", "popup-title", props.title);
    if (url) title.href = url;
    box.appendChild(title);
    [props.category, props.status_label, props.band_label, props.severity].forEach(function (line) {
      if (line) box.appendChild(el("div", "", line));
    });
    if (props.value !== undefined && props.value !== null) {
      box.appendChild(el("div", "popup-value", props.value + (props.unit ? " " + props.unit : "")));
    }
    return box;
  }

  function colourOf(layerConfig, props) {
    if (props.colour && /^#[0-9a-fA-F]{3,8}$/.test(props.colour)) return props.colour;
    var key = props[layerConfig.colour_property];
    var legend = layerConfig.legend || [];
    for (var i = 0; i < legend.length; i++) {
      if (legend[i][0] === key) return legend[i][2];
    }
    return "#60a5fa";
  }

  function DashMap(node) {
    this.node = node;
    this.config = JSON.parse(node.getAttribute("data-layers") || "[]");
    this.layers = {};
    this.indicator = "";
    this.fitted = false;
    var select = document.querySelector("[data-indicator-select]");
    if (select) this.indicator = select.value;
    this.map = L.map(node, { zoomControl: true, attributionControl: false, preferCanvas: false, zoomSnap: 0.25 });
    this.map.setView([21.2, 106.3], 9);
    /* Outlines sit under every marker layer, whatever order the layers load in. */
    this.map.createPane("dash-areas");
    this.map.getPane("dash-areas").style.zIndex = "350";
    var tiles = node.getAttribute("data-tile-url");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(this.map);
    var self = this;
    this.config.forEach(function (cfg) {
      self.layers[cfg.key] = L.geoJSON(null, {
        pane: cfg.key === "areas" ? "dash-areas" : "overlayPane",
        pointToLayer: function (feature, latlng) {
          var props = feature.properties || {};
          return L.circleMarker(latlng, {
            radius: cfg.key === "sensors" ? 8 : 6, color: "#0b1220", weight: 1.5,
            fillColor: colourOf(cfg, props), fillOpacity: 0.95,
          });
        },
        style: function (feature) {
          var props = feature.properties || {};
          if (feature.geometry && feature.geometry.type === "Point") {
            return { color: "#0b1220", weight: 1.5, fillColor: colourOf(cfg, props), fillOpacity: 0.95 };
          }
          var filled = !!props.colour;
          return { color: "#5b7fa8", weight: 1, fillColor: filled ? props.colour : "#1f3b5c",
                   fillOpacity: filled ? 0.45 : 0.12 };
        },
        onEachFeature: function (feature, layer) {
          layer.bindPopup(function () { return popupFor(feature.properties || {}); });
          if (feature.properties && feature.properties.title && feature.geometry.type !== "Point") {
            layer.bindTooltip(String(feature.properties.title), { sticky: true });
          }
        },
      });
      if (cfg.on) self.layers[cfg.key].addTo(self.map);
      self.load(cfg);
    });
    document.querySelectorAll("[data-layer-toggle]").forEach(function (box) {
      box.addEventListener("change", function () {
        var layer = self.layers[box.getAttribute("data-layer-toggle")];
        if (!layer) return;
        if (box.checked) layer.addTo(self.map); else self.map.removeLayer(layer);
      });
    });
    if (select) {
      select.addEventListener("change", function () {
        self.indicator = select.value;
        self.config.forEach(function (cfg) { if (cfg.key === "areas") self.load(cfg); });
      });
    }
    window.setInterval(function () {
      self.config.forEach(function (cfg) { if (cfg.key !== "areas") self.load(cfg); });
    }, REFRESH_MS);
  }

  DashMap.prototype.load = function (cfg) {
    var self = this;
    var url = cfg.url + (cfg.key === "areas" && this.indicator ? "?indicator=" + encodeURIComponent(this.indicator) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !Array.isArray(data.features)) return;
        var layer = self.layers[cfg.key];
        layer.clearLayers();
        layer.addData(data);
        if (cfg.key === "areas" && !self.fitted && data.features.length) {
          self.fitted = true;
          self.map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        }
        if (cfg.key === "areas") layer.bringToBack();
        self.node.setAttribute("data-loaded-" + cfg.key, String(data.features.length));
      })
      .catch(function () { /* the next refresh tries again */ });
  };

  DashMap.prototype.addLiveMarker = function (item) {
    if (typeof item.lat !== "number" || typeof item.long !== "number") return;
    var layer = this.layers.reports;
    var target = layer || this.map;
    var marker = L.circleMarker([item.lat, item.long], {
      radius: 9, color: "#ffffff", weight: 2, fillColor: "#3b82f6", fillOpacity: 1, className: "live-marker",
    });
    marker.bindPopup(function () { return popupFor({ title: item.title, url: item.url, category: item.category }); });
    marker.addTo(target);
    this.node.setAttribute("data-live-markers", String((Number(this.node.getAttribute("data-live-markers")) || 0) + 1));
  };

  /* ------------------------------------------------------------------------------------------ the live feed */
  function startFeed(node) {
    var list = node.querySelector("[data-feed-list]");
    var status = node.querySelector("[data-feed-status]");
    var labels = {};
    try { labels = JSON.parse(node.getAttribute("data-kind-labels") || "{}"); } catch (e) { labels = {}; }
    var seen = {};
    list.querySelectorAll("[data-event-id]").forEach(function (li) { seen[li.getAttribute("data-event-id")] = true; });
    var after = node.getAttribute("data-last-id") || "0";
    var source = new EventSource(node.getAttribute("data-events-url") + "?after=" + encodeURIComponent(after));

    source.onopen = function () {
      status.textContent = status.getAttribute("data-live") || "● Live";
      node.classList.add("is-live");
    };
    source.onerror = function () {
      node.classList.remove("is-live");
      status.textContent = status.getAttribute("data-reconnecting") || "…";
    };
    source.onmessage = function (message) {
      var item;
      try { item = JSON.parse(message.data); } catch (e) { return; }
      if (!item || seen[item.id]) return;
      seen[item.id] = true;
      var empty = list.querySelector("[data-feed-empty]");
      if (empty) empty.remove();
      var li = el("li", "feed-item is-new kind-" + String(item.kind || "").replace(/[^a-z0-9-]/gi, "-"));
      li.setAttribute("data-event-id", String(item.id));
      li.appendChild(el("time", "", item.time));
      li.appendChild(el("span", "feed-kind", labels[item.kind] || item.kind));
      var titleBox = el("span", "feed-title");
      var url = safeUrl(item.url);
      if (url) {
        var link = el("a", "", item.title);
        link.href = url;
        titleBox.appendChild(link);
      } else {
        titleBox.textContent = item.title;
      }
      li.appendChild(titleBox);
      li.appendChild(el("small", "feed-org", item.organization));
      list.insertBefore(li, list.firstChild);
      while (list.children.length > FEED_MAX) list.removeChild(list.lastChild);
      if (dashMap) dashMap.addLiveMarker(item);
    };
  }

  /* ------------------------------------------------------------------------------------ chart export as PNG */
  function exportPng(button) {
    var panel = button.closest(".chart-panel") || document;
    var svg = panel.querySelector("svg.chart");
    if (!svg) return;
    var box = svg.viewBox.baseVal;
    var clone = svg.cloneNode(true);
    var colour = window.getComputedStyle(svg).color || "#000";
    clone.setAttribute("width", box.width);
    clone.setAttribute("height", box.height);
    clone.setAttribute("color", colour);
    var data = new XMLSerializer().serializeToString(clone).replace(/currentColor/g, colour);
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = box.width * 2;
      canvas.height = box.height * 2;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = window.getComputedStyle(panel === document ? document.body : panel).backgroundColor || "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.scale(2, 2);
      ctx.drawImage(image, 0, 0);
      var link = document.createElement("a");
      link.download = (svg.getAttribute("data-chart-title") || "chart").replace(/[^\w.-]+/g, "_") + ".png";
      link.href = canvas.toDataURL("image/png");
      document.body.appendChild(link);
      link.click();
      link.remove();
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(data);
  }

  function startClock(node) {
    function tick() {
      var now = new Date();
      node.textContent = now.toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit",
        day: "2-digit", month: "2-digit", year: "numeric" });
    }
    tick();
    window.setInterval(tick, 15000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    paintSwatches(document);
    var mapNode = document.getElementById("dash-map");
    if (mapNode && window.L) dashMap = new DashMap(mapNode);
    var feed = document.querySelector("[data-feed]");
    if (feed && window.EventSource) startFeed(feed);
    document.querySelectorAll("[data-export-png]").forEach(function (button) {
      button.addEventListener("click", function () { exportPng(button); });
    });
    var clock = document.querySelector("[data-clock]");
    if (clock) startClock(clock);
  });
})();
