"""Helpers that ``sphinx_gallery_conf`` in conf.py names: the gallery's order."""

from __future__ import annotations

# The gallery in reading order.  A new script in examples/ needs no entry to
# appear (it is discovered, and shown after these); add it here only to give
# it a place.  tests/test_pages.py fails if a name here is not a file.
ORDER = (
    "plot_ravel_vs_flatten.py",
    "plot_order_semantics.py",
    "plot_what_doesnt_work.py",
    "plot_faq.py",
    "plot_article_searched.py",
    "plot_related_traps.py",
    "plot_etl_pipeline.py",
    "plot_boundary_csv_pandas.py",
    "plot_boundary_arrow.py",
    "plot_boundary_polars.py",
    "plot_boundary_files.py",
    "plot_boundary_workers.py",
    "plot_copy_cost.py",
)


class GalleryOrder:
    """sphinx-gallery ``within_subsection_order``: :data:`ORDER` first, then any other script by name."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        return (ORDER.index(filename) if filename in ORDER else len(ORDER)), filename

    def __repr__(self) -> str:
        return "GalleryOrder()"
