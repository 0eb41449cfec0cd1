"""Executes every notebook in examples/ top to bottom (nbclient, a fresh python3 kernel each); exit status 1 when a
cell fails. NNTHEORY_BIN picks the command line; the notebooks' own assertions check a number against the docs."""
import glob
import os
import sys
import time

try:
    import nbclient
    import nbformat
except ImportError:
    print("run_notebooks: nbclient/nbformat not installed (pip install nbclient nbformat ipykernel): notebooks skipped")
    sys.exit(0)

here = os.path.dirname(os.path.abspath(__file__))
failed = []
for path in sorted(glob.glob(os.path.join(here, "*.ipynb"))):
    nb = nbformat.read(path, as_version=4)
    start = time.time()
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": here}}).execute()
        print(f"ok      {os.path.basename(path)} ({time.time() - start:.0f} s)")
    except Exception as e:  # a failing cell: its error, one line
        failed.append(path)
        print(f"FAILED  {os.path.basename(path)}: {str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__}")
sys.exit(1 if failed else 0)
