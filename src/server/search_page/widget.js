/* imi search widget: one <script> and one element on any page.
 *
 *   <div data-imi-search="COLLECTION" data-lang="ja"></div>
 *   <script src="https://IMI-HOST/search/widget.js" async></script>
 *
 * Searches through GET IMI-HOST/search/results (CORS: start imi serve with
 * --cors-origin for the embedding site) and shows the same results as
 * IMI-HOST/search. Rendered in a shadow root so the site's styles and ours
 * do not mix; every text from the server is inserted as text, never HTML. */
(function () {
  "use strict";
  var MESSAGES = __IMI_MESSAGES__;
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : "";

  var CSS =
    ":host{all:initial;display:block;font-family:system-ui,-apple-system,'Hiragino Sans','Noto Sans JP','IPAGothic',sans-serif;" +
    "line-height:1.7;color:#1a1a1a}" +
    "form{display:flex;flex-wrap:wrap;gap:.5rem}label{flex-basis:100%;font-weight:bold}" +
    "input{flex:1 1 12rem;min-width:0;font:inherit;font-size:1.05rem;padding:.45rem .6rem;border:2px solid #767676;border-radius:6px}" +
    "button{font:inherit;font-size:1.05rem;padding:.45rem 1.1rem;border:0;border-radius:6px;background:#0b57d0;color:#fff;cursor:pointer}" +
    "button.more{background:#fff;color:#0b57d0;border:1px solid #0b57d0;margin-top:.5rem}" +
    "a{color:#0b57d0}a:focus-visible,input:focus-visible,button:focus-visible{outline:3px solid #c2410c;outline-offset:2px}" +
    "ol{list-style:none;margin:0;padding:0}li{padding:.75rem 0;border-bottom:1px solid #d0d0d0}" +
    "h3{margin:0;font-size:1.05rem;line-height:1.5}.url{margin:0;color:#1e6b32;font-size:.8rem;overflow-wrap:anywhere}" +
    ".snippet{margin:.2rem 0}mark{background:#ffe680;color:inherit;font-weight:bold}" +
    ".status{font-weight:bold;margin:.5rem 0}.tips{margin:.25rem 0;padding-left:1.2rem}" +
    ".hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

  function format(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeHref(url) {
    try {
      var u = new URL(url, base || undefined);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function mount(host) {
    if (host.shadowRoot || host.getAttribute("data-imi-mounted")) return;
    host.setAttribute("data-imi-mounted", "1");
    var collection = host.getAttribute("data-imi-search");
    var lang = host.getAttribute("data-lang") || (document.documentElement.lang || "ja").slice(0, 2);
    if (!MESSAGES[lang]) lang = "ja";
    var t = MESSAGES[lang];
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("style", {}, CSS));
    var id = "imi-q-" + Math.random().toString(36).slice(2);
    var region = el("div", { role: "search" });
    var form = el("form", { action: base + "/search", method: "get" });
    form.appendChild(el("label", { for: id }, t.label));
    var input = el("input", { id: id, type: "search", name: "q", autocomplete: "off", enterkeyhint: "search",
                              placeholder: t.placeholder });
    form.appendChild(input);
    form.appendChild(el("button", { type: "submit" }, t.button));
    region.appendChild(form);
    root.appendChild(region);
    var status = el("p", { class: "status", role: "status", "aria-live": "polite" });
    root.appendChild(status);
    var list = el("ol", { class: "results", "aria-label": t.results });
    root.appendChild(list);
    var footer = el("div");
    root.appendChild(footer);
    var state = { q: "", page: 0, pages: 0, busy: false };

    function addResult(r) {
      var li = el("li");
      var h = el("h3");
      var href = safeHref(r.url);
      var a = el(href ? "a" : "span", href ? { href: href } : {}, r.title || r.url);
      h.appendChild(a);
      li.appendChild(h);
      li.appendChild(el("p", { class: "url" }, r.url));
      var p = el("p", { class: "snippet" });
      (r.snippet || []).forEach(function (part) {
        p.appendChild(part.mark ? el("mark", {}, part.text) : document.createTextNode(part.text));
      });
      li.appendChild(p);
      list.appendChild(li);
      return a;
    }

    function search(page) {
      if (state.busy) return;
      state.busy = true;
      status.textContent = t.loading;
      var url = base + "/search/results?c=" + encodeURIComponent(collection) + "&q=" + encodeURIComponent(state.q) +
                "&page=" + page + "&lang=" + lang;
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
        .then(function (reply) {
          state.busy = false;
          if (!reply.ok) throw new Error((reply.body.error && reply.body.error.message) || "HTTP error");
          var body = reply.body;
          if (page === 1) list.textContent = "";
          footer.textContent = "";
          state.page = body.page;
          state.pages = body.pages;
          if (body.total === 0) {
            status.textContent = format(t.none_title, { q: state.q });
            var tips = el("ul", { class: "tips" });
            t.none_tips.forEach(function (tip) { tips.appendChild(el("li", {}, tip)); });
            footer.appendChild(tips);
            return;
          }
          var first = null;
          body.results.forEach(function (r) { var a = addResult(r); first = first || a; });
          status.textContent = format(t.count, { q: state.q, total: body.total, from: 1,
                                                 to: (body.page - 1) * body.per_page + body.results.length });
          if (page > 1 && first) first.focus();
          if (body.page < body.pages) {
            var more = el("button", { type: "button", class: "more" }, t.more);
            more.addEventListener("click", function () { search(state.page + 1); });
            footer.appendChild(more);
          }
          var all = el("a", { href: base + body.page_url }, t.all_results);
          var p = el("p");
          p.appendChild(all);
          footer.appendChild(p);
        })
        .catch(function () {
          state.busy = false;
          status.textContent = t.error;
        });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = input.value.trim();
      if (!q) return;
      state.q = q;
      search(1);
    });
  }

  function mountAll() {
    var hosts = document.querySelectorAll("[data-imi-search]");
    for (var i = 0; i < hosts.length; i++) mount(hosts[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
