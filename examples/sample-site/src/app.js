"use strict";
// The whole single-page app: a router from the address to a view, and the code that renders it.
// Every address is answered by index.html (CloudFront serves it for any path that is not a file),
// so a deep link such as /orders/42 reaches this code, which decides what the page shows.
(function (root) {
  /** The view for a path: a title and a line of text; unknown paths get a "Not found" view. */
  function route(pathname) {
    const path = pathname.replace(/\/+$/, "") || "/";
    if (path === "/") return { title: "Home", text: "Welcome to the sample site." };
    const order = /^\/orders\/([A-Za-z0-9-]{1,32})$/.exec(path);
    if (order) return { title: `Order ${order[1]}`, text: `Details of order ${order[1]}.` };
    return { title: "Not found", text: `There is no page at ${path}.`, notFound: true };
  }

  /** The release this page was built from, as the build wrote it into <meta name="release">. */
  function release(doc) {
    const meta = doc.querySelector('meta[name="release"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function render(doc, pathname) {
    const view = route(pathname);
    const main = doc.getElementById("app");
    const heading = doc.createElement("h1");
    heading.textContent = view.title;
    const text = doc.createElement("p");
    text.textContent = view.text;
    main.replaceChildren(heading, text);
    doc.title = `${view.title} - Sample site`;
    doc.getElementById("release").textContent = `Release ${release(doc)}`;
  }

  if (typeof module === "object" && module.exports) {
    module.exports = { route };
    return;
  }
  const doc = root.document;
  doc.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-link]");
    if (!link) return;
    event.preventDefault();
    root.history.pushState({}, "", link.getAttribute("href"));
    render(doc, root.location.pathname);
  });
  root.addEventListener("popstate", () => render(doc, root.location.pathname));
  render(doc, root.location.pathname);
})(typeof window === "undefined" ? globalThis : window);
