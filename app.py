"""`streamlit run app.py` from a clone. The page itself is ``coach/web/app.py`` so it ships inside the
package (``coach app`` runs that file directly)."""
import runpy

runpy.run_path(str(__import__("pathlib").Path(__file__).resolve().parent / "coach" / "web" / "app.py"), run_name="__main__")
