"""One thin typer CLI per weasel command (`python -m scripts.<command>`),
each calling the bioner library. Importing bioner registers the pipeline
components that trained pipelines use."""
import sys

# bioner/ and benchmarks/ are the steps' code dependencies (project.yml): a
# .pyc written into them would look like changed code to weasel's next run
sys.dont_write_bytecode = True

import bioner  # noqa: E402,F401
