"""AppTest for the home page (app.py): it loads and links every page that exists."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_home_page_links_every_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for name in ("Playground", "Backprop", "Optimizer lab", "CNN", "Recurrent", "Transformer", "Autoencoder"):
        assert f"**{name}**" in text
    # Every page file is linked (a missing file would have raised when st.page_link resolved it).
    pages = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
    source = (ROOT / "app.py").read_text()
    assert pages and all(f'"pages/{p}"' in source for p in pages), pages
