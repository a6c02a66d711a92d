// Sort and filter the claims tables (claims ledger, NumPy versions): no framework.
// Each page's claims are a table of their own; one filter box serves all the tables of a section.
document.addEventListener("DOMContentLoaded", () => {
  const tables = Array.from(document.querySelectorAll("table.viewcopy-sortable"));
  tables.forEach((table) => {
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
  });
  // the filter box: words to find in a row; "page:NAME" keeps exactly one page's rows
  // (each page's table has the class viewcopy-page-NAME, "/" written "--"), as the link #page=NAME does
  const sections = new Set(tables.map((table) => table.closest("section") || document.body));
  sections.forEach((section) => {
    const mine = tables.filter((table) => (table.closest("section") || document.body) === section);
    const rows = mine.flatMap((table) => Array.from(table.tBodies[0].rows));
    const filter = document.createElement("input");
    filter.type = "search";
    filter.className = "viewcopy-filter";
    filter.placeholder = "Filter claims: words, an id, a verdict, page:NAME";
    filter.setAttribute("aria-label", "Filter claims");
    (mine[0].closest(".viewcopy-group") || mine[0]).before(filter);
    const count = section.querySelector(".viewcopy-count");
    const apply = (text) => {
      const words = text.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((row) => {
        const visible = words.every((w) =>
          w.startsWith("page:")
            ? row.closest("table").classList.contains("viewcopy-page-" + w.slice(5).replaceAll("/", "--"))
            : row.textContent.toLowerCase().includes(w),
        );
        row.hidden = !visible;
        shown += visible;
      });
      mine.forEach((table) => {
        const group = table.closest(".viewcopy-group") || table;
        group.hidden = Array.from(table.tBodies[0].rows).every((row) => row.hidden);
      });
      if (count) count.textContent = `${shown} of ${rows.length} claims`;
    };
    filter.addEventListener("input", () => apply(filter.value));
    const match = window.location.hash.match(/^#page=(.+)$/);
    if (match) {
      filter.value = "page:" + decodeURIComponent(match[1]);
      apply(filter.value);
    }
  });
});
