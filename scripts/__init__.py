"""One thin typer CLI per weasel command (`python -m scripts.<command>`),
each calling the bioner library. Importing bioner registers the pipeline
components that trained pipelines use."""
import bioner  # noqa: F401
