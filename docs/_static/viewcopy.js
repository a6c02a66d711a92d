// Sort and filter the claims tables (claims ledger, NumPy versions): no framework.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.viewcopy-sortable").forEach((table) => {
    const body = table.tBodies[0];
    table.querySelectorAll("th").forEach((th, column) => {
      th.setAttribute("role", "button");
      th.title = "Sort by this column";
      th.addEventListener("click", () => {
        const ascending = th.dataset.order !== "asc";
        th.dataset.order = ascending ? "asc" : "desc";
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = a.cells[column].textContent.trim();
          const y = b.cells[column].textContent.trim();
          return (ascending ? 1 : -1) * x.localeCompare(y, undefined, { numeric: true });
        });
        rows.forEach((row) => body.appendChild(row));
      });
    });
    // the filter box: words to find in a row; "page:NAME" keeps exactly one page's rows
    // (each row has the class viewcopy-page-NAME, "/" written "--"), as the link #page=NAME does
    const filter = document.createElement("input");
    filter.type = "search";
    filter.className = "viewcopy-filter";
    filter.placeholder = "Filter claims: words, id, verdict, version";
    filter.setAttribute("aria-label", "Filter claims");
    table.before(filter);
    const count = (table.closest("section") || document).querySelector(".viewcopy-count");
    const apply = (text) => {
      const words = text.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      Array.from(body.rows).forEach((row) => {
        const visible = words.every((w) =>
          w.startsWith("page:")
            ? row.classList.contains("viewcopy-page-" + w.slice(5).replaceAll("/", "--"))
            : row.textContent.toLowerCase().includes(w),
        );
        row.hidden = !visible;
        shown += visible;
      });
      if (count) count.textContent = `${shown} of ${body.rows.length} claims`;
    };
    filter.addEventListener("input", () => apply(filter.value));
    const match = window.location.hash.match(/^#page=(.+)$/);
    if (match) {
      filter.value = "page:" + decodeURIComponent(match[1]);
      apply(filter.value);
    }
  });
});
