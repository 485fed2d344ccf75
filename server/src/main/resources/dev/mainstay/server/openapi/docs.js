// The key stays in this tab's session storage: it is sent with the document's request and with
// every request tried from the page, and never leaves this origin.
(function () {
  const stored = sessionStorage.getItem("mainstay-key") || "";
  document.getElementById("key-state").textContent = stored ? "using a key" : "no key: fixed endpoints only";
  document.getElementById("key-form").addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem("mainstay-key", document.getElementById("key").value.trim());
    location.reload();
  });
  document.getElementById("forget").addEventListener("click", function () {
    sessionStorage.removeItem("mainstay-key");
    location.reload();
  });
  window.ui = SwaggerUIBundle({
    url: "/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: function (req) {
      if (stored) {
        req.headers.Authorization = "Bearer " + stored;
      }
      return req;
    },
  });
})();
