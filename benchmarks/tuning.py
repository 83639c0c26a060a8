"""Hyper-parameter search over a training config with optuna, on dev only.

Each trial trains configs/<model>.cfg with one sampled setting of SPACE:
a training (bioner.training) in a child process with its log (bioner.child),
into training/<corpus>/tune/<model>/trial-<n>/ (its log in logs/trial-<n>.log),
and its score is the best dev ents_f of its JSONL training log. A new study's
first trial is the config's own values (config_point), the yardstick of
what the search gained at the same budget. The study
lives in study.db (SQLite) beside the trials, so a stopped tune resumes:
trials that finished count toward --trials, and one a stop cut short is
marked failed ("interrupted") and does not count. No trial starts after
--minutes (of this run). A trial that fails (a bad combination, a crash) is
recorded with its reason; the tune goes on.

After every trial the table of trials is written to
results/tune/<corpus>_<model>.{json,md}, and the best settings
both as an overrides string (for --vars.train_overrides) and as a full
config, configs/<model>_tuned_<corpus>.cfg (for --vars.model).
"""
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import optuna
from optuna.trial import TrialState
from spacy.util import load_config

from bioner.child import run_logged
from bioner.console import good, info, warn
from bioner.errors import BionerError
from bioner.io import write_json_atomic, write_text_atomic
from bioner.layout import Layout
from bioner.registry import get_corpus
from bioner.training import TrainRequest, check_setting_keys, dev_curve, parse_settings, train

TOK2VEC = "components.tok2vec.model"
# rows of an attribute the config does not embed (ORTH: as many as NORM's)
NEW_ATTR_ROWS = {"ORTH": 20000}
TUNED_HEADER = "# Made by `weasel run tune`"


@dataclass(frozen=True)
class Dimension:
    """One dimension of the search: `choices`, or a range `low`..`high`
    (ints with `step`, floats with `step` or on a log scale). `when`: only
    sampled where another dimension has that value."""

    name: str
    setting: str  # what it sets, for tables and the README
    choices: Tuple[Any, ...] = ()
    low: float = 0
    high: float = 0
    step: Optional[float] = None
    log: bool = False
    when: Optional[Tuple[str, Any]] = None

    def sample(self, trial: optuna.Trial) -> Any:
        if self.choices:
            return trial.suggest_categorical(self.name, self.choices)
        if isinstance(self.low, int) and isinstance(self.high, int):
            return trial.suggest_int(self.name, self.low, self.high, step=int(self.step or 1))
        value = trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)
        # the value trained is the value shown: 2 significant digits, or the step's
        return float(f"{value:.2g}") if self.log else round(value, 6)


# The search space, in one place: around configs/cnn.cfg's values (MultiHashEmbed
# of NORM PREFIX SUFFIX SHAPE with rows [20000, 2000, 5000, 1000], width 96,
# depth 3, dropout 0.1, batches compounding from 100 to 1000 words, Adam at
# 0.001). It lives here rather than in project.yml because every dimension
# needs code to become consistent settings (rows follow attrs, CharacterEmbed
# replaces the whole embed block); tests/test_tuning.py checks every choice
# against the configs.
SPACE = (
    Dimension("embed", f"{TOK2VEC}.embed: spacy.MultiHashEmbed.v2 or spacy.CharacterEmbed.v2",
              choices=("multihash", "character")),
    Dimension("attrs", f"{TOK2VEC}.embed.attrs (and as many rows)",
              choices=("NORM PREFIX SUFFIX SHAPE", "NORM PREFIX SUFFIX", "NORM SUFFIX SHAPE",
                       "ORTH NORM PREFIX SUFFIX SHAPE"), when=("embed", "multihash")),
    Dimension("char_nM", f"{TOK2VEC}.embed.nM: width of each character's embedding",
              choices=(16, 32, 64), when=("embed", "character")),
    Dimension("char_nC", f"{TOK2VEC}.embed.nC: UTF-8 bytes embedded per word (half from each end)",
              choices=(4, 6, 8), when=("embed", "character")),
    Dimension("rows_scale", f"{TOK2VEC}.embed.rows: the config's rows times this",
              choices=(0.5, 1.0, 2.0)),
    Dimension("width", f"{TOK2VEC}.encode.width (the embedding and the listener follow)", low=64, high=256, step=32),
    Dimension("depth", f"{TOK2VEC}.encode.depth", low=2, high=6),
    Dimension("dropout", "training.dropout", low=0.0, high=0.4, step=0.05),
    Dimension("batch_size", "training.batcher.size.stop: words per batch at the end of the compounding schedule",
              choices=(250, 500, 1000, 2000, 4000)),
    Dimension("learn_rate", "training.optimizer.learn_rate (or its initial_rate)", low=2e-4, high=5e-3, log=True),
)


def sample_values(trial: optuna.Trial) -> Dict[str, Any]:
    """One point of SPACE, dimension by dimension (conditional ones only where they apply)."""
    values: Dict[str, Any] = {}
    for dim in SPACE:
        if dim.when is None or values.get(dim.when[0]) == dim.when[1]:
            values[dim.name] = dim.sample(trial)
    return values


def config_point(config: Dict[str, Any]) -> Dict[str, Any]:
    """The config's own values as a point of SPACE: the study's first trial,
    so the table shows what tuning gained over the config at the same
    budget. Values the space does not hold are left to the sampler."""
    model = config["components"]["tok2vec"]["model"]
    size = config["training"]["batcher"]["size"]
    learn_rate = config["training"]["optimizer"]["learn_rate"]
    own = {"embed": "multihash", "attrs": " ".join(model["embed"]["attrs"]), "rows_scale": 1.0,
           "width": model["encode"]["width"], "depth": model["encode"]["depth"],
           "dropout": config["training"]["dropout"], "batch_size": size["stop"] if isinstance(size, dict) else size,
           "learn_rate": learn_rate["initial_rate"] if isinstance(learn_rate, dict) else learn_rate}
    point = {}
    for dim in SPACE:
        value = own.get(dim.name)
        if value is None or isinstance(value, str) and "$" in value:  # unset, or a ${...} reference
            continue
        if value in dim.choices or (not dim.choices and dim.low <= value <= dim.high):
            point[dim.name] = value
    return point


def check_tunable(config: Dict[str, Any], config_path: Path) -> None:
    """SPACE tunes a spaCy Tok2Vec (MultiHashEmbed + an encoder with width
    and depth) and a batch_by_words batcher: say so for any other config."""
    try:
        model = config["components"]["tok2vec"]["model"]
        ok = str(model["embed"]["@architectures"]).startswith("spacy.MultiHashEmbed") and \
            {"width", "depth"} <= set(model["encode"]) and "size" in config["training"]["batcher"]
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise BionerError(f"{config_path}: tuning needs a 'tok2vec' component with spaCy's Tok2Vec "
                          f"(MultiHashEmbed, and an encoder with width and depth), like configs/cnn.cfg")


def settings_for(values: Dict[str, Any], config: Dict[str, Any]) -> Dict[str, Any]:
    """The config settings (dotted keys) of one point of SPACE, for `config`
    (uninterpolated): its rows scaled, its learning-rate and batch-size shape kept."""
    embed = config["components"]["tok2vec"]["model"]["embed"]
    base_rows = dict(zip(embed["attrs"], embed["rows"]))
    scale = values["rows_scale"]

    def rows(attr: str) -> int:
        return max(100, int(round(base_rows.get(attr, NEW_ATTR_ROWS.get(attr, 1000)) * scale)))

    settings: Dict[str, Any] = {f"{TOK2VEC}.encode.width": values["width"], f"{TOK2VEC}.encode.depth": values["depth"]}
    if values["embed"] == "character":
        # a whole new block: confection's overrides replace the section, so no
        # MultiHashEmbed key (attrs) is left for CharacterEmbed to reject
        settings[f"{TOK2VEC}.embed"] = {
            "@architectures": "spacy.CharacterEmbed.v2", "width": values["width"], "rows": rows("NORM"),
            "nM": values["char_nM"], "nC": values["char_nC"],
            "include_static_vectors": embed["include_static_vectors"], "feature": "NORM",
        }
    else:
        attrs = values["attrs"].split()
        settings[f"{TOK2VEC}.embed.attrs"] = attrs
        settings[f"{TOK2VEC}.embed.rows"] = [rows(a) for a in attrs]
    settings["training.dropout"] = values["dropout"]
    size = config["training"]["batcher"]["size"]
    settings["training.batcher.size" + (".stop" if isinstance(size, dict) else "")] = values["batch_size"]
    learn_rate = config["training"]["optimizer"]["learn_rate"]
    lr_key = "training.optimizer.learn_rate" + (".initial_rate" if isinstance(learn_rate, dict) else "")
    settings[lr_key] = values["learn_rate"]
    return settings


def overrides_text(settings: Dict[str, Any]) -> str:
    """Settings as the "section.key=value ..." string of --overrides and
    vars.train_overrides (bioner.training.parse_settings): JSON values
    without spaces, their double quotes escaped. The one string serves
    both: parse_settings reads \\" as ", and weasel, which cannot take a
    bare " in a var, turns \\" into " on the command line."""
    return " ".join(f"{key}={json.dumps(value, separators=(',', ':'))}".replace('"', '\\"')
                    for key, value in settings.items())


@dataclass(frozen=True)
class TuneRun:
    corpus: str
    model: str
    max_steps: int
    seed: int
    gpu: str = "auto"
    eval_frequency: int = 0


def check_inputs(layout: Layout, run: TuneRun, trials: int, minutes: float) -> Dict[str, Any]:
    """The config of a valid request (uninterpolated), or a one-line error."""
    get_corpus(run.corpus, layout.project_file)
    config_path = layout.config(run.model)
    if not config_path.is_file():
        known = ", ".join(sorted(p.stem for p in config_path.parent.glob("*.cfg")))
        raise BionerError(f"Unknown model '{run.model}': {config_path} not found. Known: {known}.")
    if trials < 1:
        raise BionerError(f"--trials must be at least 1 (got {trials})")
    if not minutes > 0:
        raise BionerError(f"--minutes must be more than 0 (got {minutes})")
    if run.max_steps < 1:
        raise BionerError(f"--max-steps must be at least 1 (got {run.max_steps}): every trial needs the same budget")
    for split in ("train", "dev"):
        if not layout.docbin(run.corpus, split).exists():
            raise BionerError(f"{layout.docbin(run.corpus, split)} not found. Run the convert step first: "
                              f"weasel run convert . --vars.corpus {run.corpus}")
    config = load_config(config_path, interpolate=False)
    check_tunable(config, config_path)
    check_tuned_config_is_ours(layout.tuned_config(run.corpus, run.model))
    return config


def check_tuned_config_is_ours(path: Path) -> None:
    """A file of the tuned config's name that tune did not write is left alone."""
    if path.exists() and not path.read_text(encoding="utf8").startswith(TUNED_HEADER):
        raise BionerError(f"{path}: exists and was not written by tune; refusing to replace it. Move it aside.")


def open_study(layout: Layout, run: TuneRun, config: Dict[str, Any]) -> optuna.Study:
    """The study of this corpus and model: new, or the one in study.db. Its
    trials are comparable only under one config, budget and space, so a
    resume with others is an error (nothing is deleted)."""
    db = layout.tune_study(run.corpus, run.model)
    db.parent.mkdir(parents=True, exist_ok=True)
    key = {"config": hashlib.sha256(config.to_str(interpolate=False).encode()).hexdigest()[:16],
           "space": hashlib.sha256(repr(SPACE).encode()).hexdigest()[:16],
           "max_steps": run.max_steps, "seed": run.seed, "eval_frequency": run.eval_frequency}
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own line per trial instead
    study = optuna.create_study(storage=f"sqlite:///{db.resolve()}", study_name=f"{run.corpus}_{run.model}",
                                direction="maximize", load_if_exists=True)
    old = study.user_attrs.get("key")
    if old is None:
        study.set_user_attr("key", key)
        study.enqueue_trial(config_point(config), user_attrs={"config_as_is": True})
    elif old != key:
        diff = ", ".join(f"{k} {old.get(k)} -> {v}" for k, v in key.items() if old.get(k) != v)
        raise BionerError(f"{db}: its trials were made with other settings ({diff}); give the same ones, "
                          f"or move {db} aside to start a new study")
    # seeded, and by the number of trials so far: a resumed tune does not
    # draw the first trials' points again
    study.sampler = optuna.samplers.TPESampler(seed=run.seed + len(study.trials))
    return study


def is_counted(trial: optuna.trial.FrozenTrial) -> bool:
    """A trial that ran to its end (complete or failed), not one cut short by a stop."""
    return trial.state in (TrialState.COMPLETE, TrialState.FAIL) and not trial.user_attrs.get("interrupted")


def close_interrupted(layout: Layout, run: TuneRun, study: optuna.Study) -> None:
    """Trials left running by a killed tune: failed, not counted; their
    half-trained folder (made by this step) removed."""
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        live = optuna.Trial(study, trial._trial_id)
        live.set_user_attr("interrupted", True)
        live.set_user_attr("reason", "interrupted (the tune stopped during this trial)")
        study.tell(trial.number, state=TrialState.FAIL)
        shutil.rmtree(layout.tune_trial(run.corpus, run.model, trial.number).partial.path, ignore_errors=True)


def failure_reason(log: Path, code: int) -> str:
    """The line of a failed trial's log that says why: our one-line error,
    else the last exception line (with the two after it where it ends in a
    colon, as confection's validation errors do), else the last line."""
    lines = [line.strip() for line in log.read_text(encoding="utf8", errors="replace").splitlines() if line.strip()]
    marked = [i for i, line in enumerate(lines) if line.startswith("\u2718")]
    raised = [i for i, line in enumerate(lines) if "Error" in line.split(":")[0]]
    if marked or raised:
        i = (marked or raised)[-1]
        reason = " ".join(lines[i:i + 3]) if lines[i].endswith(":") else lines[i]
    else:
        reason = lines[-1] if lines else "no output"
    return f"exit {code}: {reason[:300]}"


def run_trial(layout: Layout, run: TuneRun, config: Dict[str, Any], trial: optuna.Trial) -> Optional[float]:
    """Train one sampled setting; its best dev F1, or None (reason recorded) if it failed."""
    values = sample_values(trial)
    trial.set_user_attr("values", values)
    try:
        settings = settings_for(values, config)
        check_setting_keys(settings, config, layout.config(run.model))
    except (BionerError, KeyError, TypeError) as err:  # a space that does not fit this config
        trial.set_user_attr("reason", f"settings: {err}")
        return None
    text = overrides_text(settings)
    out = layout.tune_trial(run.corpus, run.model, trial.number)
    log = layout.tune_dir(run.corpus, run.model) / "logs" / f"trial-{trial.number}.log"
    request = TrainRequest(layout.config(run.model), out.path, layout.corpus(run.corpus), run.gpu,
                           max_steps=run.max_steps, eval_frequency=run.eval_frequency, overrides=settings,
                           seed=run.seed)
    trial.set_user_attr("overrides", text)
    trial.set_user_attr("log", str(log.relative_to(layout.root)))
    start = time.monotonic()
    code = run_logged(train, (request,), log, f"trial {trial.number}: train {run.model} on {run.corpus}")
    trial.set_user_attr("seconds", round(time.monotonic() - start, 1))
    if code != 0:
        trial.set_user_attr("reason", failure_reason(log, code))
        return None
    try:
        curve = dev_curve(out.log)
    except BionerError as err:
        trial.set_user_attr("reason", str(err))
        return None
    trial.set_user_attr("best_step", curve["best_step"])
    # the models are not used (the workflow retrains the best settings): 18 MB each for the CNN
    for model in (out.model_best, out.model_last):
        shutil.rmtree(model, ignore_errors=True)
    out.tok2vec.unlink(missing_ok=True)
    return curve["dev_f"]


def trial_rows(study: optuna.Study) -> List[Dict[str, Any]]:
    rows = []
    for t in study.get_trials(deepcopy=False):
        attrs = t.user_attrs
        rows.append({"trial": t.number, "state": t.state.name.lower(), "dev_f": t.value,
                     "best_step": attrs.get("best_step"), "seconds": attrs.get("seconds"),
                     "values": attrs.get("values", {}), "overrides": attrs.get("overrides"),
                     "reason": attrs.get("reason"), "log": attrs.get("log"),
                     "config_as_is": bool(attrs.get("config_as_is"))})
    return rows


def best_row(rows: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    done = [r for r in rows if r["state"] == "complete"]
    return max(done, key=lambda r: (r["dev_f"], -r["trial"])) if done else None


def markdown(results: Dict[str, Any]) -> str:
    best = results["best"]
    names = [d.name for d in SPACE]
    lines = [f"# Tuning {results['model']} on {results['corpus']}", "",
             f"Made by `weasel run tune` (benchmarks/tuning.py): each trial trains configs/{results['model']}.cfg "
             f"for {results['max_steps']} steps (seed {results['seed']}) with one setting drawn by optuna's TPE "
             f"sampler (the study's first: the config as is); dev F1 is the best evaluation on the dev split (ents_f). Study: `{results['study']}`.", "",
             "| trial | state | dev F1 | best step | seconds | " + " | ".join(names) + " | |",
             "|---:|---|---:|---:|---:|" + "---|" * len(names) + "---|"]
    for row in results["trials"]:
        dev = "" if row["dev_f"] is None else f"{row['dev_f']:.2f}"
        marks = ["**best**" if best and row["trial"] == best["trial"] else "",
                 "config as is" if row["config_as_is"] else ""]
        mark = ", ".join(m for m in marks if m)
        cells = [row["best_step"], row["seconds"]] + [row["values"].get(n) for n in names]
        lines.append(f"| {row['trial']} | {row['state']} | {dev} | "
                     + " | ".join("" if c is None else str(c) for c in cells) + f" | {mark} |")
    failed = [r for r in results["trials"] if r["reason"]]
    if failed:
        lines += ["", "Failed trials:", ""] + [f"- {r['trial']}: {r['reason']}" for r in failed]
    if best:
        lines += ["", f"Best: trial {best['trial']}, dev F1 {best['dev_f']:.2f} at step {best['best_step']}."
                  + gain_text(results["trials"], best), "",
                  f"- as settings: `weasel run train . --vars.corpus {results['corpus']} --vars.model {results['model']} "
                  f"--vars.train_overrides '{best['overrides']}'`",
                  f"- as a config: `{best['config']}`: `weasel run all . --vars.corpus {results['corpus']} "
                  f"--vars.model {Path(best['config']).stem}`"]
    lines += ["", "Search space (benchmarks/tuning.py, SPACE):", ""]
    lines += [f"- {d.name}: {d.setting}" for d in SPACE]
    return "\n".join(lines) + "\n"


def gain_text(rows: Sequence[Dict[str, Any]], best: Dict[str, Any]) -> str:
    """What the best trial gained over the config as is, at the same budget (one seed each)."""
    own = next((r for r in rows if r["config_as_is"] and r["state"] == "complete"), None)
    if own is None:
        return ""
    return (f" The config as is (trial {own['trial']}): {own['dev_f']:.2f}, so "
            f"{best['dev_f'] - own['dev_f']:+.2f} dev F1 at the same budget and seed; seed noise is ~1.3.")


def write_tuned_config(layout: Layout, run: TuneRun, best: Dict[str, Any], n_trials: int) -> Path:
    """configs/<model>_tuned_<corpus>.cfg: the model's config with the best settings."""
    path = layout.tuned_config(run.corpus, run.model)
    check_tuned_config_is_ours(path)
    config = load_config(layout.config(run.model), overrides=parse_settings(best["overrides"]), interpolate=False)
    header = [f"{TUNED_HEADER} (benchmarks/tuning.py) from configs/{run.model}.cfg: the best of {n_trials} trials "
              f"on {run.corpus} dev,", f"# trial {best['trial']}, dev F1 {best['dev_f']:.2f} at step {best['best_step']} "
              f"of {run.max_steps}. Table: {Layout().tune_results(run.corpus, run.model, '.md')}"]
    write_text_atomic(path, "\n".join(header) + "\n" + config.to_str(interpolate=False) + "\n")
    return path


def write_results(layout: Layout, run: TuneRun, study: optuna.Study) -> Dict[str, Any]:
    rows = trial_rows(study)
    best = best_row(rows)
    results = {"corpus": run.corpus, "model": run.model, "max_steps": run.max_steps, "seed": run.seed,
               "study": str(layout.tune_study(run.corpus, run.model).relative_to(layout.root)),
               "trials": rows, "best": None}
    if best:
        config = write_tuned_config(layout, run, best, sum(1 for r in rows if r["state"] == "complete"))
        results["best"] = {**best, "config": str(config.relative_to(layout.root))}
    write_json_atomic(layout.tune_results(run.corpus, run.model, ".json"), results)
    write_text_atomic(layout.tune_results(run.corpus, run.model, ".md"), markdown(results))
    return results


def tune(layout: Layout, run: TuneRun, trials: int, minutes: float) -> Dict[str, Any]:
    """Run trials until the study has `trials` finished ones or `minutes`
    have passed (a trial that has started runs to its end); write the
    table and the best settings after each."""
    config = check_inputs(layout, run, trials, minutes)
    study = open_study(layout, run, config)
    close_interrupted(layout, run, study)
    deadline = time.monotonic() + minutes * 60
    while sum(map(is_counted, study.get_trials(deepcopy=False))) < trials:
        if time.monotonic() >= deadline:
            warn(f"time budget of {minutes:g} min spent; run tune again to go on")
            break
        trial = study.ask()
        try:
            score = run_trial(layout, run, config, trial)
        except BaseException:
            trial.set_user_attr("interrupted", True)
            trial.set_user_attr("reason", "interrupted (the tune stopped during this trial)")
            study.tell(trial, state=TrialState.FAIL)
            write_results(layout, run, study)
            raise
        if score is None:
            study.tell(trial, state=TrialState.FAIL)
            warn(f"trial {trial.number} failed: {trial.user_attrs['reason']}")
        else:
            study.tell(trial, score)
            info(f"trial {trial.number}: dev F1 {score:.2f} at step {trial.user_attrs['best_step']} "
                 f"({trial.user_attrs['seconds']:.0f} s) {trial.user_attrs['values']}")
        write_results(layout, run, study)
    results = write_results(layout, run, study)
    if results["best"] is None:
        raise BionerError(f"no trial of {run.model} on {run.corpus} completed; reasons in "
                          f"{layout.tune_results(run.corpus, run.model, '.md')}")
    best = results["best"]
    good(f"best: trial {best['trial']}, dev F1 {best['dev_f']:.2f}; config {best['config']}")
    print(f"overrides: {best['overrides']}", flush=True)
    return results
