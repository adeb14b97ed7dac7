/* CityOps behaviour. Loaded before Alpine (CSP build): only Alpine.data components, no inline code. */
(function () {
  "use strict";

  document.addEventListener("alpine:init", function () {
    /* The page layout: the component menu opens and closes on narrow screens. */
    window.Alpine.data("layout", function () {
      return {
        open: false,
        toggleMenu: function () {
          this.open = !this.open;
        },
        closeMenu: function () {
          this.open = false;
        },
      };
    });

    /* Copies a text (e.g. the two-factor secret) to the clipboard; the text stays selectable without JS. */
    window.Alpine.data("copyText", function () {
      return {
        copied: false,
        copy: function () {
          var source = this.$refs.source;
          if (!source || !navigator.clipboard) {
            return;
          }
          var self = this;
          navigator.clipboard.writeText(source.textContent.replace(/\s+/g, "")).then(function () {
            self.copied = true;
          });
        },
      };
    });
  });

  /* htmx sends the CSRF token with every non-GET request, read from a form on the page. */
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token && event.detail.verb !== "get") {
      event.detail.headers["X-CSRFToken"] = token.value;
    }
  });
})();
