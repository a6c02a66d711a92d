// The atlas table (atlas.html): List.js sorts, searches and pages it; this connects the two filters.
// A release chosen filters by that release's verdict (each row carries one data-r<release> per release).
// List.js starts when the table comes near the screen (or is linked to): loading the page costs nothing.
// Until then only the first rows are drawn; the others wait in a <template>, which the browser does not lay out.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("atlas");
  if (!root || typeof List === "undefined") return;
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    const more = document.getElementById("atlas-more");
    if (more) root.querySelector("tbody.list").append(more.content);
    const releases = JSON.parse(root.dataset.releases);
    const list = new List("atlas", {
      valueNames: ["atlas-expr", "atlas-verdict", "atlas-cond", { data: releases }],
      page: 50,
      pagination: { outerWindow: 1, innerWindow: 2 },
    });
    const verdict = document.getElementById("atlas-verdict");
    const release = document.getElementById("atlas-release");
    const count = root.querySelector(".atlas-count");
    const apply = () => {
      const want = verdict.value;
      const on = release.value;
      if (!want && !on) {
        list.filter();
      } else {
        list.filter((item) => {
          const values = item.values();
          const got = on ? values[on] : values["atlas-verdict"];
          return got !== "absent" && (!want || got === want);
        });
      }
    };
    list.on("updated", () => {
      count.textContent = `${list.matchingItems.length} of ${list.items.length} entries`;
    });
    verdict.addEventListener("change", apply);
    release.addEventListener("change", apply);
    // a link to one entry (atlas.html#atlas-a-ravel, from the landing page): show its page of the table
    const wanted = decodeURIComponent(location.hash.slice(1));
    const at = list.items.findIndex((item) => item.elm.id === wanted);
    if (at >= 0) {
      list.show(at - (at % 50) + 1, 50);
      list.items[at].elm.scrollIntoView();
    }
  };
  if (location.hash.startsWith("#atlas-")) {
    start();
    return;
  }
  root.addEventListener("focusin", start, { once: true });
  const seen = new IntersectionObserver((changes) => {
    if (changes.some((change) => change.isIntersecting)) {
      seen.disconnect();
      start();
    }
  }, { rootMargin: "400px" });
  seen.observe(root);
});
