"""A progress bar (stderr, when it is a terminal) of documents/s, with
entities/s and words/s beside it, shared by the local and the Ray runner.
Logs get the one line per finished input the runners print instead."""
import sys
import time

from tqdm import tqdm


class Progress:
    def __init__(self, total_inputs: int, label: str = "annotate"):
        self.start = time.perf_counter()
        self.docs = self.entities = self.words = 0
        self.bar = tqdm(desc=label, unit=" docs", file=sys.stderr, mininterval=1.0, dynamic_ncols=True,
                        disable=not sys.stderr.isatty(),
                        postfix=f"0/{total_inputs} inputs")
        self.total_inputs = total_inputs
        self.inputs_done = 0

    def __call__(self, docs: int, entities: int, words: int) -> None:
        self.docs += docs
        self.entities += entities
        self.words += words
        self.bar.update(docs)
        if not self.bar.disable and self.bar.n == self.bar.last_print_n:  # tqdm just redrew: refresh the rates
            self._postfix()

    def input_done(self) -> None:
        self.inputs_done += 1
        self._postfix()

    def _postfix(self) -> None:
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        self.bar.set_postfix_str(
            f"{self.entities / elapsed:,.0f} entities/s, {self.words / elapsed:,.0f} words/s, "
            f"{self.inputs_done}/{self.total_inputs} inputs", refresh=False)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def close(self) -> None:
        self.bar.close()
