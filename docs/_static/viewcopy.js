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
    const filter = table.parentElement.querySelector("input.viewcopy-filter");
    const count = table.parentElement.querySelector(".viewcopy-count");
    const apply = (text) => {
      const words = text.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      Array.from(body.rows).forEach((row) => {
        const haystack = (row.textContent + " " + (row.dataset.page || "")).toLowerCase();
        const visible = words.every((w) => haystack.includes(w));
        row.hidden = !visible;
        shown += visible;
      });
      if (count) count.textContent = `${shown} of ${body.rows.length} claims`;
    };
    if (filter) {
      filter.addEventListener("input", () => apply(filter.value));
      const match = window.location.hash.match(/^#page=(.+)$/);
      if (match) {
        filter.value = decodeURIComponent(match[1]);
        apply(filter.value);
      }
    }
  });
});
