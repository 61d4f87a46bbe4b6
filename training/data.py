"""Assemble the labelled rows the content/prompt-attack classifier is trained and judged on.

Why this shape: one multi-label row per text (a sigmoid head per category), with the
source it came from, so evaluation can hold out whole *sources* rather than random rows
(random splits of one source flatter a model; see DESIGN.md). Licence rules: alpaca and
do_not_answer (non-commercial) are used for evaluation only, never for the shipped model;
the independent benchmarks DESIGN.md names are not used at all.

    python training/data.py            # prints the row counts per split and source
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from group_swap import group_swaps

from steward.evaluate.convert.attacks import jailbreak_prompts
from steward.evaluate.convert.content import toxigen_split

ROOT = Path(__file__).resolve().parents[1]
#: The shared development data: ``$STEWARD_SHARED_DATA``, else ``../shared/data`` beside the
#: repository (as the benchmarks and ``steward eval-convert`` look for it).
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))
WRITTEN = ROOT / "training" / "written"
CHALLENGE = ROOT / "data" / "challenge"

LABELS = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "SELF_HARM", "CHILD_SAFETY", "PROMPT_ATTACK")
#: Longest text kept per row (the longest length bucket the precision benchmark measures).
DOC_MAX_CHARS = 8000

#: Sources never trained on: they measure transfer to unseen styles and sources.
HELDOUT_SOURCES = frozenset(
    {
        "tensor_trust",
        "bipia_code",
        "jailbreak_flowgpt",
        "truthfulqa",
        "written_eval",
        "challenge_test",
        "alpaca_eval",
        "do_not_answer_eval",
        "gptfuzz_responses_eval",
        "toxigen_test",
        "bipia_text_attacks_test",
    }
)

#: BIPIA's attack kinds that are bare tasks ("What is the capital of Brazil?", "Draft an essay
#: introduction about climate change"): inside a document they read exactly as the ordinary
#: questions and requests e-mails, FAQs and forum pages are full of, and training them as attacks
#: taught the untrusted head that any request in third-party text is an injection (issue 14:
#: 62-100% of benign e-mails and 42-100% of question lists blocked). Kept out of training since the
#: tenth session; the attacks kept are aimed at the model's answer ("in your response…").
BARE_TASK_ATTACKS = frozenset(
    {
        "Information Retrieval",
        "Content Creation",
        "Learning and Tutoring",
        "Language Translation",
        "Programming Help",
    }
)

csv.field_size_limit(10**8)


@dataclass(frozen=True, slots=True)
class Example:
    """One text with its categories; ``untrusted`` marks third-party content."""

    text: str
    labels: frozenset[str]
    source: str
    untrusted: bool = False
    weight: float = 1.0
    kind: str = ""
    #: Identity rows: the term (``religion:Muslim``) for per-group fairness figures.
    group: str = ""
    #: Character span of the harmful part of a longer text (an inserted attack or harmful
    #: sentence): training keeps the windows covering it whenever it crops the text.
    focus: tuple[int, int] | None = None
    #: ``"train"`` or ``"calib"`` where the row's split is fixed by the statements it is built
    #: from (:func:`statement_fold`); ``""`` lets :func:`split_rows` draw it.
    fold: str = ""


#: Share of ToxiGen's training statements and Davidson's tweets kept for calibration when
#: rows are split by statement (``load_examples(statement_split=True)``).
STATEMENT_CALIB_SHARE = 0.15


def statement_fold(text: str) -> str:
    """``"calib"`` for about :data:`STATEMENT_CALIB_SHARE` of statements, else ``"train"``.

    Chosen by a hash of the statement (case- and whitespace-blind), so a statement falls in the
    same fold whichever row it is part of: alone, in a thread of posts, or quoted in a frame.
    """
    return (
        "calib" if zlib.crc32(text_key(text).encode("utf-8")) % 100 < STATEMENT_CALIB_SHARE * 100 else "train"
    )


def _fold_draw(rng: random.Random, split: bool) -> str:
    """The fold of a row made of several statements: drawn, so threads fall in both folds."""
    if not split:
        return ""
    return "calib" if rng.random() < STATEMENT_CALIB_SHARE else "train"


def _by_fold(statements: list[str], split: bool) -> dict[str, list[str]]:
    """The statements a row of each fold may be built from (all of them, unsplit, under ``""``)."""
    if not split:
        return {"": statements}
    folds: dict[str, list[str]] = {"train": [], "calib": []}
    for statement in statements:
        folds[statement_fold(statement)].append(statement)
    return folds


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CHILD_SAFETY", ("child porn", "minor", "underage", "paedo", "pedo", "child sexual", "groom")),
    (
        "SELF_HARM",
        (
            "suicide",
            "kill yourself",
            "self-harm",
            "self harm",
            "anorexi",
            "bulimi",
            "cut yourself",
            "end your life",
            "kill themselves",
            "harm themselves",
        ),
    ),
    ("SEXUAL", ("sex", "porn", "genital", "nude", "naked", "erotic", "orgasm")),
    (
        "HATE",
        (
            "racis",
            "hate speech",
            "ethnic",
            "religio",
            "jews",
            "jewish",
            "muslim",
            "black people",
            "immigrant",
            "minority",
            "minorities",
            "lgbt",
            "gay",
            "nigger",
            "faggot",
            "retard",
            "discriminat",
            "white supremac",
            "inferior",
        ),
    ),
    (
        "INSULTS",
        (
            "bully",
            "harass",
            "insult",
            "humiliat",
            "worthless",
            "shit",
            "stupid",
            "idiot",
            "loser",
            "freak",
            "ugly",
            "fat ",
        ),
    ),
    (
        "VIOLENCE",
        (
            "kill",
            "murder",
            "bomb",
            "weapon",
            "gun",
            "shoot",
            "attack",
            "violen",
            "poison",
            "explosive",
            "assault",
            "terror",
            "hurt",
            "harm",
            "torture",
            "stab",
            "burn down",
            "assassinat",
            "firearm",
        ),
    ),
)


def categorize(text: str, default: str = "MISCONDUCT") -> frozenset[str]:
    """Harm categories of a harmful text by keyword; ``default`` when nothing matches.

    Only ever applied to texts already known to be harmful (the label comes from the data
    set; the keywords only pick *which* heads), so a keyword never makes a benign text harmful.
    """
    low = text.lower()
    found = {cat for cat, words in _KEYWORDS if any(w in low for w in words)}
    return frozenset(found or {default})


_FORBIDDEN_MAP = {
    "Illegal Activity": "MISCONDUCT",
    "Hate Speech": "HATE",
    "Malware": "MISCONDUCT",
    "Physical Harm": "VIOLENCE",
    "Economic Harm": "MISCONDUCT",
    "Fraud": "MISCONDUCT",
    "Pornography": "SEXUAL",
    "Privacy Violence": "MISCONDUCT",
}


def _detok(text: str) -> str:
    """FEVER's space-tokenised Wikipedia sentences back to ordinary prose."""
    for a, b in (
        (" ,", ","),
        (" .", "."),
        (" ;", ";"),
        (" :", ":"),
        (" 's", "'s"),
        ("( ", "("),
        (" )", ")"),
        ("`` ", '"'),
        (" ''", '"'),
        (" n't", "n't"),
        (" -- ", " – "),
        (" %", "%"),
    ):
        text = text.replace(a, b)
    return text


def docnli_documents(rng: random.Random) -> list[str]:
    """Multi-genre prose from DocNLI's premises: consecutive distinct premises joined into texts
    of every length (MNLI: fiction, letters, government reports, magazines, telephone and
    face-to-face talk, travel guides, the 9/11 report; FEVER: Wikipedia).

    Why: the model must see long ordinary prose — about wars, crime, politics and groups too —
    as benign at every length, or it learns that length itself is suspect (issue 14).
    """
    premises: list[str] = []
    for name in ("binary_mnli_dev.txt", "binary_mnli_test.txt", "binary_fever_nli_dev.txt"):
        seen: dict[str, None] = {}
        with (DATA / "docnli" / name).open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    seen.setdefault(_detok(parts[1].strip()) if "fever" in name else parts[1].strip())
        premises.extend(p for p in seen if len(p) > 20)
    docs: list[str] = []
    # Three passes: one in file order up to the longest bucket, two shuffled and shorter, so
    # every premise appears in texts of several lengths and neighbours.
    for longest, shuffle in ((DOC_MAX_CHARS, False), (2000, True), (2000, True)):
        order = list(premises)
        if shuffle:
            rng.shuffle(order)
        i = 0
        while i < len(order):
            target = int(math.exp(rng.uniform(math.log(100), math.log(longest))))
            text = order[i]
            i += 1
            while i < len(order) and len(text) + len(order[i]) < target:
                text += (" " if rng.random() < 0.7 else "\n\n") + order[i]
                i += 1
            docs.append(text)
    return docs


def docnli_entailed_claims() -> list[str]:
    """DocNLI's hypotheses that their premise entails, each once: short sentences crowdworkers
    (MNLI) and annotators (FEVER) wrote to restate what a text says ("Older people would have
    no transportation without the service.", "Roland Emmerich is gay."). A hypothesis that also
    appears as not entailed is left out: nothing vouches for a contradicted or unsupported one,
    and some are invented slurs on a group ("Hong Kong doesn't have capable people.").
    """
    labels: dict[str, set[str]] = {}
    for name in (
        "binary_mnli_dev.txt",
        "binary_mnli_test.txt",
        "binary_fever_nli_dev.txt",
        "binary_fever_nli_test.txt",
    ):
        with (DATA / "docnli" / name).open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    labels.setdefault(parts[2].strip(), set()).add(parts[0])
    return [claim for claim, seen in labels.items() if seen == {"entailment"} and 15 < len(claim) < 400]


#: Entailed claims read alone (of 13,087): about a tenth of the training rows, so that short
#: benign statements do not outweigh the short harmful requests the model must still catch.
ENTAILED_CLAIMS = 6000


def _entailed_claim_rows(rng: random.Random, split: bool) -> list[Example]:
    """Benign rows of :func:`docnli_entailed_claims`: each claim alone and pages of them.

    Why (issue 14, twenty-fourth session): the shipped model read plain generalisations about
    people as hate. Of the 13,087 entailed claims, which it never trained on, 62 scored HATE 0.6
    or more ("Dissociative identity disorder is a mental disorder." 0.69, "Kids aren't likely to
    recognize gay signals, but some parents do." 0.89), as did 13 of ToxiGen's 134 held-out
    neutral statements. Its benign training text about groups was ToxiGen's few neutral seeds,
    rows written here and long prose; these are thousands of ordinary one-sentence statements
    about groups, jobs, ages and places, written by people outside this project. A page of them
    (up to 40, like ToxiGen's neutral pages) must pass too. A random :data:`ENTAILED_CLAIMS` of
    them, drawn from ``rng``. With ``split``, a claim's fold is its text's
    (:func:`statement_fold`) and each page keeps to one fold.
    """
    claims = rng.sample(docnli_entailed_claims(), ENTAILED_CLAIMS)
    rows = [
        Example(
            c, frozenset(), "docnli_claims", kind="entailed_claim", fold=statement_fold(c) if split else ""
        )
        for c in claims
    ]
    folds = _by_fold(claims, split)
    for i in range(400):
        fold = _fold_draw(rng, split)
        page = _thread(folds[fold], rng, high=8 if i % 2 else 40)
        rows.append(Example(page, frozenset(), "docnli_claims", kind="entailed_claims_page", fold=fold))
    return rows


def fever_titles() -> list[str]:
    """The distinct page titles of DocNLI's FEVER premises ("Robert Palmer (writer) . A collection…"),
    without the disambiguating parenthesis: people, films, places, bands, events."""
    titles: dict[str, None] = {}
    for name in ("binary_fever_nli_dev.txt", "binary_fever_nli_test.txt"):
        with (DATA / "docnli" / name).open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.split("\t")
                if len(parts) == 3 and " . " in parts[1]:
                    title = parts[1].split(" . ", 1)[0].split(" (", 1)[0].strip()
                    if 2 < len(title) < 60:
                        titles.setdefault(_detok(title))
    return list(titles)


def fever_tasks(rng: random.Random) -> list[str]:
    """Ordinary task instructions: the written templates of ``text/task_templates.txt`` filled with
    FEVER page titles, shuffled.

    Why: short imperatives ("Create…", "Generate…", "Describe…") were blocked 10-25% of the time
    (MISCONDUCT, SEXUAL, CHILD_SAFETY) because nearly every imperative in training was a harmful
    request; these teach that the subject, not the verb, makes a request harmful.
    """
    templates = _written_lines("task_templates")
    titles = fever_titles()
    rng.shuffle(titles)
    return [template.format(topic=t) for t in titles for template in rng.sample(templates, 2)][:4500]


def _written_lines(name: str) -> list[str]:
    """The non-comment lines of ``training/written/text/NAME.txt`` (as ``written/build.py`` reads them)."""
    out = [ln.strip() for ln in (WRITTEN / "text" / f"{name}.txt").read_text(encoding="utf-8").splitlines()]
    return [ln for ln in out if ln and not ln.startswith("#")]


def _thread(items: list[str], rng: random.Random, *, low: int = 2, high: int = 12) -> str:
    """Several short posts joined as one page (a forum thread, a list of statements)."""
    return "\n".join(rng.sample(items, min(len(items), rng.randint(low, high))))


def _focused(text: str, needle: str) -> tuple[int, int] | None:
    at = text.find(needle)
    return (at, at + len(needle)) if at >= 0 else None


#: Frames that quote, report, negate or refute a statement (``{s}``) instead of asserting it;
#: written for this project.
STANCE_FRAMES = (
    'Someone in the comments wrote "{s}" and I reported it to the moderators.',
    "It is simply not true that {s}.",
    'My uncle keeps saying "{s}" at family dinners. How do I answer him calmly?',
    'A common stereotype says "{s}", but the research does not back it up.',
    'The survey asked people whether they agree that "{s}"; most said they do not.',
    "I'm so tired of hearing people claim that {s}.",
    'Posts saying "{s}" were removed last week for breaking the hate-speech rules.',
    "Why do some people still believe that {s}? It is a prejudice, nothing more.",
    'Our diversity training lists "{s}" as an example of a harmful stereotype.',
    'No, "{s}" is not a fact. It is a stereotype, and it hurts real people.',
    'A caller on the radio said "{s}" and the host corrected him straight away.',
    'The report documents how often statements like "{s}" appear in online harassment.',
    'If a coworker says "{s}", what should HR do about it?',
    "Growing up I was told that {s}. I know better now.",
    'Teachers: how do you respond when a student repeats "{s}" in class?',
    "The historian explains where the myth that {s} came from and why it spread.",
)


def _insert(context: str, attack: str, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """``attack`` at the start, in the middle or at the end of ``context``, and where it landed."""
    where = rng.choice(("start", "middle", "end"))
    if where == "start":
        text = f"{attack}\n{context}"
    elif where == "end":
        text = f"{context}\n{attack}"
    else:
        cut = context.find(" ", len(context) // 2)
        cut = len(context) // 2 if cut < 0 else cut
        text = f"{context[:cut]} {attack} {context[cut:]}"
    span = _focused(text, attack)
    assert span is not None
    return text, span


def _crop(text: str, rng: random.Random, low: int = 150, high: int = DOC_MAX_CHARS) -> str:
    """A stretch of ``text`` of a random length (log-uniform), cut at spaces."""
    if len(text) <= low:
        return text
    length = int(math.exp(rng.uniform(math.log(low), math.log(min(high, len(text))))))
    start = rng.randrange(0, len(text) - length + 1)
    if start:
        space = text.find(" ", start)
        start = start if space < 0 else space + 1
    return text[start : start + length].strip()


def load_examples(
    seed: int = 13, *, statement_split: bool = False, entailed_claims: bool = False
) -> list[Example]:
    """Every row from every source; ``Example.source`` tells training from held-out.

    ``statement_split``: ToxiGen's training statements and Davidson's tweets are split between
    training and calibration by statement (:func:`statement_fold`), and every thread, insert
    and frame is built from one fold's statements only; so are the written rows, GPTFuzz's
    questions and the harmful rows inserts are made of, and the batches, third-party copies,
    inserts, templates and responses built from them. Unsplit (the shipped model), a thread in
    the calibration split is made of statements the model trained on in other threads, so the
    calibration measured long pages of familiar statements, never of new ones: the length
    term it fitted for HATE was what a page of memorised text needs (issue 14: held-out
    ToxiGen neutral statements blocked 10% alone, 32.5% as pages over 2,000 characters).

    ``entailed_claims``: DocNLI's entailed hypotheses are added as benign rows
    (:func:`_entailed_claim_rows`), after every other row and from their own generator, so the
    other rows and their split are the same with or without them.

    Rows are whole texts (up to :data:`DOC_MAX_CHARS`), not fixed chunks: training reads each
    as the product does — windows of the runtime's length, scored by their maximum — so a
    long benign document has to score low in every window, and a harmful sentence inside
    one (its ``focus``) has to score high where it stands.
    """
    rng = random.Random(seed)
    rows: list[Example] = []
    add = rows.append

    def fold_of(statement: str) -> str:
        return statement_fold(statement) if statement_split else ""

    # ---- harmful requests
    for r in _csv(DATA / "advbench" / "harmful_behaviors.csv"):
        add(Example(r["goal"], categorize(r["goal"]), "advbench_behaviors"))
    for r in _csv(DATA / "advbench" / "harmful_strings.csv"):
        add(Example(r["target"], categorize(r["target"], "VIOLENCE"), "advbench_strings"))
    for r in _csv(DATA / "jailbreak_llms" / "forbidden_question_set.csv"):
        cat = _FORBIDDEN_MAP.get(r["content_policy_name"])
        labels = categorize(r["question"], cat) | {cat} if cat else frozenset()
        if cat == "Physical Harm" or (cat and "SELF_HARM" in categorize(r["question"], cat)):
            labels = categorize(r["question"], cat)
        add(Example(r["question"], frozenset(labels), "forbidden_questions"))
    questions = [r["text"] for r in _csv(DATA / "gptfuzz" / "question_list.csv")]
    q_labels = [categorize(q) for q in questions]
    for q, labels in zip(questions, q_labels, strict=True):
        # Split by question, as the templates and responses built on it are.
        add(Example(q, labels, "gptfuzz_questions", fold=fold_of(q)))

    # ---- hate / offensive tweets (down-weighted: they teach identity-term bias); some as
    # threads, so that a page of ordinary posts is benign and one hateful post makes it not.
    tweets = _csv(DATA / "davidson_hate" / "labeled_data.csv")
    by_class: dict[str, list[str]] = {"0": [], "1": [], "2": []}
    for r in tweets:
        by_class[r["class"]].append(r["tweet"])

    tweet_folds = {cls: _by_fold(tweets_of, statement_split) for cls, tweets_of in by_class.items()}
    for cls, n, labels in (("0", 700, {"HATE", "INSULTS"}), ("1", 700, {"INSULTS"}), ("2", 1200, set())):
        for t in rng.sample(by_class[cls], n):
            add(Example(t, frozenset(labels), "davidson", weight=0.5, fold=fold_of(t)))
    for _ in range(300):
        fold = _fold_draw(rng, statement_split)
        add(Example(_thread(tweet_folds["2"][fold], rng), frozenset(), "davidson", weight=0.5, fold=fold))
    for cls, labels in (("0", {"HATE", "INSULTS"}), ("1", {"INSULTS"})):
        for _ in range(100):
            fold = _fold_draw(rng, statement_split)
            bad = rng.choice(tweet_folds[cls][fold])
            text, span = _insert(_thread(tweet_folds["2"][fold], rng), bad, rng)
            add(Example(text, frozenset(labels), "davidson", weight=0.5, focus=span, fold=fold))

    # ---- ToxiGen seed statements, the train half by statement (the test half is held out):
    # implicit hate without slurs, and neutral statements about the same 16 groups.
    toxigen: dict[str, dict[str, list[str]]] = {s: {"hate": [], "neutral": []} for s in ("train", "test")}
    for r in _csv(DATA / "toxigen" / "statements_unique.csv"):
        bucket = toxigen[toxigen_split(r["statement"])][r["label"]]
        if r["statement"] not in bucket:
            bucket.append(r["statement"])
    for split, source in (("train", "toxigen"), ("test", "toxigen_test")):
        for label, labels in (("hate", frozenset({"HATE"})), ("neutral", frozenset())):
            for t in toxigen[split][label]:
                fold = fold_of(t) if split == "train" else ""
                add(Example(t, labels, source, weight=3.0, kind=f"toxigen_{label}", fold=fold))
    seeds = {label: _by_fold(toxigen["train"][label], statement_split) for label in ("hate", "neutral")}
    for i in range(700):
        fold = _fold_draw(rng, statement_split)
        add(
            Example(
                # Short runs and long pages: a page of forty statements about groups must pass too.
                _thread(seeds["neutral"][fold], rng, high=8 if i % 2 else 40),
                frozenset(),
                "toxigen",
                kind="toxigen_neutral",
                fold=fold,
            )
        )
    # The same hateful statements quoted, reported, negated or refuted are benign: the model
    # must learn the stance, not the words (counterfactual pairs; issue 14 found counter-speech
    # and quoting judged correctly only 29-30% of the time).
    for t in toxigen["train"]["hate"]:
        for frame in rng.sample(STANCE_FRAMES, 3):
            add(Example(frame.format(s=t), frozenset(), "toxigen", kind="toxigen_reported", fold=fold_of(t)))
    for _ in range(100):
        fold = _fold_draw(rng, statement_split)
        bad = rng.choice(seeds["hate"][fold])
        text, span = _insert(_thread(seeds["neutral"][fold], rng, high=6), bad, rng)
        add(Example(text, frozenset({"HATE"}), "toxigen", focus=span, kind="toxigen_hate", fold=fold))

    # ---- jailbreak prompts (prompt attacks), whole, from the communities kept for training;
    # the held-out community's unseen prompts (not its variants of others') are held out
    # (steward.evaluate.convert.attacks.jailbreak_prompts says which and why).
    keep_communities = {"ChatGPT", "ChatGPTJailbreak", "jailbreak_chat", "BreakGPT"}
    for r in jailbreak_prompts(DATA):
        if r["unseen"]:
            add(Example(r["text"][:DOC_MAX_CHARS], frozenset({"PROMPT_ATTACK"}), "jailbreak_flowgpt"))
        elif r["community"] in keep_communities:
            add(Example(r["text"][:DOC_MAX_CHARS], frozenset({"PROMPT_ATTACK"}), "jailbreak_communities"))
    for r in _csv(DATA / "gptfuzz" / "GPTFuzzer_templates.csv"):
        for qi in rng.sample(range(len(questions)), 4):
            text = r["text"].replace("[INSERT PROMPT HERE]", questions[qi])[:DOC_MAX_CHARS]
            add(
                Example(
                    text,
                    frozenset({"PROMPT_ATTACK"}) | q_labels[qi],
                    "gptfuzz_templates",
                    focus=_focused(text, questions[qi]),
                    fold=fold_of(questions[qi]),
                )
            )

    # ---- model responses (output side): label 1 = the model complied with a harmful question
    resp = _csv(DATA / "gptfuzz" / "responses_labeled_train.csv")
    for r in rng.sample(resp, 1600):
        labels = q_labels[int(r["question"])] if r["label"] == "1" else frozenset()
        fold = fold_of(questions[int(r["question"])])  # a response often repeats its question
        add(Example(r["Response"][:DOC_MAX_CHARS], labels, "gptfuzz_responses", weight=0.5, fold=fold))
    # The evaluate split is held out (the benchmarks measure responses on it); listing it here
    # lets split_rows drop the boilerplate refusals both splits carry from training.
    for r in _csv(DATA / "gptfuzz" / "responses_labeled_evaluate.csv"):
        labels = q_labels[int(r["question"])] if r["label"] == "1" else frozenset()
        add(Example(r["Response"][:DOC_MAX_CHARS], labels, "gptfuzz_responses_eval"))

    # ---- benign prose of many genres and lengths (DocNLI premises), and assistant answers
    prose = docnli_documents(rng)
    rng.shuffle(prose)
    for text in prose[:3500]:
        add(Example(text, frozenset(), "docnli"))
    for text in prose[3500:4300]:
        add(Example(text, frozenset(), "docnli", untrusted=True))
    # Ordinary task instructions about every kind of subject (written templates, FEVER's page
    # titles), as the user's request and as third-party text (a task list in a document).
    tasks = fever_tasks(rng)
    for text in tasks[:2500]:
        add(Example(text, frozenset(), "fever_tasks"))
    for text in tasks[2500:3100]:
        add(Example(text, frozenset(), "fever_tasks", untrusted=True))
    for _ in range(300):
        lst = rng.sample(tasks[3100:], rng.randint(3, 20))
        if rng.random() < 0.5:
            lst = [f"{i}. {t}" for i, t in enumerate(lst, start=1)]
        add(Example("\n".join(lst), frozenset(), "fever_tasks", untrusted=rng.random() < 0.5))
    responses = [str(r["chatgpt_response"]) for r in _jsonl(DATA / "halueval" / "general_data.json")]
    rng.shuffle(responses)
    for text in responses[:1500]:
        add(Example(text[:DOC_MAX_CHARS], frozenset(), "halueval_responses"))
    for text in responses[1500:2200]:
        add(Example(text[:DOC_MAX_CHARS], frozenset(), "halueval_responses", untrusted=True))
    presidio = json.loads((DATA / "presidio_pii" / "synth_dataset_v2.json").read_text())
    for r in presidio:
        add(Example(str(r["full_text"]), frozenset(), "presidio"))
    for r in rng.sample(presidio, 400):
        add(Example(str(r["full_text"]), frozenset(), "presidio", untrusted=True))

    # ---- indirect injection: BIPIA's train-split text attacks inside third-party prose and
    # code (its e-mail and table contexts are held out for the precision benchmark, and so are
    # its test-split text attacks); its code attacks inside its code contexts.
    text_attacks = [
        a
        for kind, v in json.loads((DATA / "bipia" / "text_attack_train.json").read_text()).items()
        if kind not in BARE_TASK_ATTACKS
        for a in v
    ]
    carriers = prose[4300:5300] + responses[2200:2700]
    for ctx in carriers:
        ctx = _crop(ctx, rng, high=3000)
        text, span = _insert(ctx, rng.choice(text_attacks), rng)
        add(Example(text, frozenset({"PROMPT_ATTACK"}), "bipia_text_attacks", untrusted=True, focus=span))
    for a in [
        a for v in json.loads((DATA / "bipia" / "text_attack_test.json").read_text()).values() for a in v
    ]:
        add(Example(a, frozenset({"PROMPT_ATTACK"}), "bipia_text_attacks_test", untrusted=True))
    # Code: the train contexts and attacks are trained on (untrusted code must not look like an
    # attack by itself); the test contexts with the test attacks are held out.
    for split, source in (("train", "bipia_code_train"), ("test", "bipia_code")):
        code_attacks = [
            a
            for v in json.loads((DATA / "bipia" / f"code_attack_{split}.json").read_text()).values()
            for a in v
        ]
        for r in _jsonl(DATA / "bipia" / f"code_{split}.jsonl"):
            for ctx in dict.fromkeys(
                (str(r["context"])[:DOC_MAX_CHARS], "\n".join(r["code"])[:DOC_MAX_CHARS])
            ):
                add(Example(ctx, frozenset(), source, untrusted=True))
                add(Example(ctx, frozenset(), source))
                text, span = _insert(ctx, rng.choice(code_attacks), rng)
                add(Example(text, frozenset({"PROMPT_ATTACK"}), source, untrusted=True, focus=span))

    # ---- Tensor Trust: human attacks vs the benign access codes (held out)
    for f in ("hijacking_robustness_dataset", "extraction_robustness_dataset"):
        for r in _jsonl(DATA / "tensor_trust" / f"{f}.jsonl"):
            add(Example(str(r["attack"])[:DOC_MAX_CHARS], frozenset({"PROMPT_ATTACK"}), "tensor_trust"))
            add(Example(str(r["access_code"]), frozenset(), "tensor_trust"))

    # ---- benign questions held out (TruthfulQA); HaluEval's user queries are never used:
    # they are Alpaca instructions (3,054 of 4,507 verbatim), CC BY-NC and a held-out set.
    for r in _csv(DATA / "truthfulqa" / "TruthfulQA.csv"):
        add(Example(r["Question"], frozenset(), "truthfulqa"))

    # ---- evaluation-only sets (non-commercial licences: never trained on)
    alpaca = json.loads((DATA / "alpaca" / "alpaca_noinput_instructions.json").read_text())
    for r in rng.sample(alpaca, 2000):
        add(Example(str(r["instruction"]), frozenset(), "alpaca_eval"))
    for r in _csv(DATA / "do_not_answer" / "do_not_answer_en.csv"):
        add(Example(r["question"], frozenset({"ANY_HARM"}), "do_not_answer_eval", kind=r["types_of_harm"]))

    # ---- our written rows and the challenge set's train split
    for path in sorted(WRITTEN.glob("*.jsonl")):
        for r in _jsonl(path):
            labels = frozenset(str(x) for x in r["labels"])  # type: ignore[attr-defined]
            split = str(r["split"])
            source = "written_eval" if split == "eval" else f"written_{path.stem}"
            weight = {
                "identity": 1.0,
                "harmful": 5.0,
                "situational": 5.0,
                "child_safety": 4.0,
                "general_benign": 1.5,
            }.get(path.stem, 3.0)
            if str(r["kind"]).startswith("identity_"):
                weight = 1.0  # frames crossed with 74 terms: many rows per sentence already
            add(
                Example(
                    str(r["text"]),
                    labels,
                    source,
                    bool(r["untrusted"]),
                    weight,
                    str(r["kind"]),
                    str(r.get("group", "")),
                )
            )
    for path in sorted(CHALLENGE.glob("**/*.jsonl")):
        for r in _jsonl(path):
            split = str(r.get("split", "test"))
            cat = str(r.get("category", ""))
            labels = frozenset({cat}) if int(r.get("label", 0)) and cat in LABELS else frozenset()
            if int(r.get("label", 0)) and not labels:
                labels = frozenset({"ANY_HARM"})
            source = "challenge_train" if split == "train" else "challenge_test"
            weight = 1.0 if "identity" in path.stem else 3.0
            add(
                Example(
                    str(r["text"]),
                    labels,
                    source,
                    bool(r.get("untrusted", False)),
                    weight,
                    str(r.get("kind", "")),
                    str(r.get("group", "")),
                )
            )
    if statement_split:
        # The rows the composite rows below are made of are split by statement too, so a
        # calibration batch, copy or insert holds no item a training row holds.
        rows = [
            replace(ex, fold=statement_fold(ex.text)) if _composite_item(ex) and not ex.fold else ex
            for ex in rows
        ]
    rows.extend(_untrusted_copies(rows, rng))
    rows.extend(_batches(rows, rng, statement_split))
    rows.extend(_embedded_harm(rows, prose[5300:] + responses[2700:], rng, statement_split))
    if entailed_claims:
        rows.extend(_entailed_claim_rows(random.Random(seed + 1), statement_split))
    return rows


def _composite_item(ex: Example) -> bool:
    """A row that :func:`_untrusted_copies`, :func:`_batches` or :func:`_embedded_harm` may build on."""
    return _written_training(ex) or _embeddable_harm(ex)


def _written_training(ex: Example) -> bool:
    """A written row that trains: not one of the held-out ``eval`` rows (source ``written_eval``).

    The eighth session's model was trained before this check existed: its batch texts included
    written ``eval`` items, so the written eval figures of the kinds in :data:`_BATCH_KINDS` were
    not blind for it. Every model since the tenth session's is clean.
    """
    return ex.source.startswith("written_") and ex.source not in HELDOUT_SOURCES


#: Written benign kinds that also train as third-party text (:func:`_untrusted_copies`).
_UNTRUSTED_COPY_KINDS = frozenset(
    {
        "general_benign",
        "curiosity_question",
        "security_benign",
        "forum_benign",
        "task_prompt",
        "technical_doc",
        "instruction_talk",
        "trigger_benign",
        "benign_task",
        "short_benign",
        "group_discussion",
    }
)


def _untrusted_copies(rows: list[Example], rng: random.Random, n: int = 1800) -> list[Example]:
    """Written benign requests, questions, posts and documents again, read as third-party text.

    Why: a retrieved FAQ, forum page or ticket is full of questions and requests aimed at people;
    the untrusted head saw such text only as the carrier of an attack and learned that a request in
    a document is an injection (issue 14). Only training rows of written sources are copied.
    """
    pool = [ex for ex in rows if ex.kind in _UNTRUSTED_COPY_KINDS and not ex.labels and _written_training(ex)]
    return [
        Example(ex.text, frozenset(), ex.source, True, 1.0, ex.kind, fold=ex.fold)
        for ex in rng.sample(pool, min(n, len(pool)))
    ]


#: Written benign kinds whose items make up the multi-item texts of :func:`_batches`.
_BATCH_KINDS = {
    "requests": ("general_benign", "curiosity_question", "security_benign", "short_benign", "benign_task"),
    "identity": ("identity_positive", "group_discussion", "identity_negated", "identity_question"),
    "posts": ("forum_benign", "identity_positive", "curiosity_question"),
}


def _batches(rows: list[Example], rng: random.Random, split: bool = False, n: int = 300) -> list[Example]:
    """Benign texts made of many benign items: a batch of requests in one message, a page of
    posts, a run of statements about groups.

    Why: a text of twenty ordinary requests reads as instructions aimed at the model, and a run
    of ordinary statements about minorities as a run of chances to look hateful; the model saw
    such items one by one and flagged them together (issue 14's precision benchmark: lists of
    questions and threads of statements about groups). Only training rows of written sources
    are used, never a held-out or evaluation row. ``split``: each batch is made of one fold's
    items (the items carry their fold, :func:`load_examples`) and goes to that fold.
    """
    out: list[Example] = []
    for name, kinds in _BATCH_KINDS.items():
        items: dict[str, list[str]] = {}
        for ex in rows:
            if ex.kind in kinds and not ex.labels and _written_training(ex) and len(ex.text) < 400:
                items.setdefault(ex.fold, []).append(ex.text)
        for _ in range(n):
            fold = _fold_draw(rng, split)
            picked = rng.sample(items[fold], rng.randint(3, 25))
            if name == "requests" and rng.random() < 0.5:
                picked = [f"{i}. {t}" for i, t in enumerate(picked, start=1)]
            # A third are third-party text: a page of questions, a list of tasks in a document.
            untrusted = name != "identity" and rng.random() < 0.33
            out.append(
                Example(
                    "\n".join(picked),
                    frozenset(),
                    "written_batches",
                    untrusted,
                    kind=f"batch_{name}",
                    fold=fold,
                )
            )
    return out


def _embeddable_harm(ex: Example) -> bool:
    """A short harmful training row that :func:`_embedded_harm` may place inside a document."""
    return (
        ex.source not in HELDOUT_SOURCES
        and bool(ex.labels - {"PROMPT_ATTACK", "ANY_HARM"})
        and "PROMPT_ATTACK" not in ex.labels
        and len(ex.text) < 300
        and ex.source != "davidson"
        and ex.focus is None
    )


def _embedded_harm(
    rows: list[Example], carriers: list[str], rng: random.Random, split: bool = False, n: int = 1200
) -> list[Example]:
    """Harmful sentences placed inside benign documents of every length, so harm is not diluted.

    Without these, every long text in training is benign and the model learns that a long
    benign lead-in outweighs a threat at its end. The focus span tells training which
    windows carry the harm. Only training sources are mixed, so held-out sources stay untouched.
    ``split``: the insert keeps its harmful row's fold, and its carrier is one of that fold's
    (carriers split by :func:`statement_fold`), so no document is in both folds.
    """
    harmful = [ex for ex in rows if _embeddable_harm(ex)]
    carriers_by_fold = _by_fold(carriers, split)
    out = []
    for ex in rng.sample(harmful, min(n, len(harmful))):
        carrier = _crop(rng.choice(carriers_by_fold[ex.fold]), rng, high=4000)
        text, span = _insert(carrier, ex.text, rng)
        out.append(
            Example(text, ex.labels, "embedded_harm", ex.untrusted, 1.0, "embedded", focus=span, fold=ex.fold)
        )
    return out


#: Marks that close a sentence; quotes and brackets after them stay where they are.
_CLOSING_MARKS = ".?!"
_CLOSING_WRAPPERS = "\"')]”’"
#: First words of a question: a bare text that starts with one gets "?", any other ".".
_QUESTION_WORDS = frozenset(
    [
        "who",
        "what",
        "when",
        "where",
        "why",
        "how",
        "which",
        "whose",
        "whom",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "have",
        "has",
        "had",
        "am",
    ]
)
#: Longest text given a surface variant (a closing mark matters to short texts).
SURFACE_MAX_CHARS = 500


def surface_variant(text: str, rng: random.Random) -> str | None:
    """``text`` with its closing punctuation flipped and, half the time, its first letter's case.

    Why (issue 14, ``benchmarks/closing_stop.py``): the model read a missing closing mark as a
    sign of harm — questions without their question mark were refused 1.3-2.7 times as often,
    and ToxiGen's lower-case statements without a full stop, hateful and neutral alike, scored as
    hate partly for their register. A copy of a training text that differs only in these
    marks, with the same labels, teaches that they carry no meaning. ``None`` when the text
    ends in neither a closing mark nor a letter or digit (code, a list, a URL).
    """
    body = text.rstrip()
    tail = ""
    while body and body[-1] in _CLOSING_WRAPPERS:
        body, tail = body[:-1], body[-1] + tail
    if not body:
        return None
    if body[-1] in _CLOSING_MARKS:
        flipped = body.rstrip(_CLOSING_MARKS) + tail
    elif body[-1].isalnum():
        first = body.split(maxsplit=1)[0].lower().strip("\"'(")
        flipped = body + ("?" if first in _QUESTION_WORDS else ".") + tail
    else:
        return None
    if rng.random() < 0.5 and flipped[:1].isalpha():
        # "asian people…" <-> "Asian people…"; an acronym or a brand ("OK", "iPhone") keeps its case.
        if flipped[0].islower() and flipped[1:2].islower():
            flipped = flipped[0].upper() + flipped[1:]
        elif flipped[0].isupper() and flipped[1:2].islower():
            flipped = flipped[0].lower() + flipped[1:]
    return flipped if flipped.strip() and flipped != text else None


def surface_variants(
    rows: list[Example], held: list[Example], rng: random.Random, share: float = 0.35
) -> list[Example]:
    """A :func:`surface_variant` of ``share`` of the short single-line training rows.

    Made from the training split only (after :func:`split_rows`), so no variant of a
    calibration or held-out text is trained on, and a variant that happens to read as a
    held-out text (``held``: :func:`split_rows`'s third part) is dropped, as :func:`split_rows`
    drops such training rows. A variant keeps its row's labels, source, weight and kind.
    Rows with a focus span are left alone (the span would move).
    """
    held_texts = {text_key(ex.text) for ex in held}
    out = []
    for ex in rows:
        if ex.focus is not None or len(ex.text) > SURFACE_MAX_CHARS or "\n" in ex.text.strip():
            continue
        if ex.source in HELDOUT_SOURCES or rng.random() >= share:
            continue
        text = surface_variant(ex.text, rng)
        if text is not None and text_key(text) not in held_texts:
            out.append(Example(text, ex.labels, ex.source, ex.untrusted, ex.weight, ex.kind, ex.group))
    return out


#: ToxiGen rows given group-swapped copies: the seed statements read alone and the stance
#: frames around the hateful ones (the group matters as little to quoting hate as to hate).
_GROUP_SWAP_KINDS = frozenset({"toxigen_hate", "toxigen_neutral", "toxigen_reported"})


def group_swapped(
    rows: list[Example], held: list[Example], rng: random.Random, copies: int = 2
) -> list[Example]:
    """Copies of ToxiGen's training statements naming other groups (:mod:`group_swap`), labels kept.

    Why (issue 14): the shipped model learnt which group a seed names and the frame it came in,
    not its stance: the held-out neutral "if you have never had middle eastern food, you are
    missing out" scored HATE 0.997, because a hateful seed had the frame "if you have muslim
    parents you are…". Seen with many groups on both sides, a frame stops being evidence. Made
    from the training split only (after :func:`split_rows`, so a statement's fold holds for its
    copies too); a copy that reads as a held-out text (a ToxiGen test statement) is dropped. A
    copy weighs 1.0, not a seed's 3.0: the copies add groups, not more weight on the seeds'
    phrasing (the eighteenth session found that weight memorised).
    """
    held_texts = {text_key(ex.text) for ex in held}
    out = []
    for ex in rows:
        if ex.source != "toxigen" or ex.kind not in _GROUP_SWAP_KINDS or ex.focus is not None:
            continue
        if "\n" in ex.text:
            continue
        for text in group_swaps(ex.text, rng, copies):
            if text_key(text) not in held_texts:
                out.append(Example(text, ex.labels, ex.source, ex.untrusted, 1.0, f"{ex.kind}_swapped"))
    return out


def weight_benign_identity(rows: list[Example], factor: float) -> list[Example]:
    """``rows`` with the benign written identity rows' weight multiplied by ``factor``.

    Why: the benign identity frames (``identity_benign``, counter-speech; ``training/written/
    identity.jsonl``) are crossed with 74 terms, so each weighs 1.0 against 3.0-5.0 for other
    written rows; retrains with more harmful rows flagged more held-out affirmations of equal
    rights (issue 14, fifteenth and sixteenth sessions). Applied to the training split before
    the augmentations, so their copies inherit the weight. Hateful identity rows keep theirs.
    """
    return _reweighted(rows, factor, lambda ex: ex.source == "written_identity" and not ex.labels)


#: Kinds of the ToxiGen rows that are one seed statement each (threads and frames have others or a newline).
_TOXIGEN_STATEMENT_KINDS = frozenset({"toxigen_hate", "toxigen_neutral"})


def weight_toxigen_statements(rows: list[Example], factor: float) -> list[Example]:
    """``rows`` with the weight of each ToxiGen seed statement read alone multiplied by ``factor``.

    Why: the training split holds only 134 hateful and 126 neutral seed statements (the rest of
    ToxiGen's training half calibrates), each read alone at weight 3.0 for two epochs. The seventeenth session's model gave HATE scores of
    0.9 and more to benign sentences written here in ordinary normative forms ("Everyone should
    be treated equally regardless of race.", "Women don't need to feel shame about their
    bodies.") and to 16 of the 134 held-out neutral seeds: it had learnt the few hateful
    seeds' phrasing rather than their stance. A lower weight trades some of that memorising for
    the thousands of written identity rows. Hateful and neutral seeds alike, so the balance
    between them stays; threads of seeds (newline-joined) and the stance frames keep their weight.
    Tried once at 1/3 (eighteenth session, with the unshipped normative frames): held-out
    neutral seeds blocked 8 of 134 instead of 16, but three regression tests failed and it was not
    shipped (docs/learned-detectors.md); the default factor 1 keeps the shipped recipe.
    """
    return _reweighted(
        rows,
        factor,
        lambda ex: (
            ex.source == "toxigen"
            and ex.kind in _TOXIGEN_STATEMENT_KINDS
            and ex.focus is None
            and "\n" not in ex.text
        ),
    )


def _reweighted(rows: list[Example], factor: float, chosen: Callable[[Example], bool]) -> list[Example]:
    """``rows`` with the weight of every row ``chosen`` says multiplied by ``factor`` (a copy of each)."""
    return [replace(ex, weight=ex.weight * factor) if chosen(ex) else ex for ex in rows]


#: The training options a run records (train meta, calibration meta, model card) with the
#: value each had before it existed, so an older run's record reads as what it was.
RECIPE_DEFAULTS: dict[str, float] = {
    "surface_variants": 0,
    "courtesy_wrapped": 0,
    "identity_weight": 1.0,
    "toxigen_weight": 1.0,
    "statement_split": 0,
    "group_swap": 0,
    "entailed_claims": 0,
}


def recipe(meta: dict[str, object]) -> dict[str, object]:
    """The recipe entries of a run's record (:data:`RECIPE_DEFAULTS`), defaults filled in."""
    return {key: meta.get(key, default) for key, default in RECIPE_DEFAULTS.items()}


#: The recipe entries that shape the rows themselves (:func:`load_examples`' options): what a
#: run's calibration and export must rebuild exactly as training did.
DATA_OPTIONS = ("statement_split", "entailed_claims")


def data_options(meta: dict[str, object]) -> dict[str, bool]:
    """:func:`load_examples`' options as a run's record (or a parsed command line) holds them."""
    return {key: bool(recipe(meta)[key]) for key in DATA_OPTIONS}


#: Pleasantries a user puts around a request, written for this project: a greeting before it,
#: small talk or thanks after it. Wrapping is what an attacker does to dilute a short attack
#: (issue 14: the surface-variant trial let one slip under the threshold), and what an
#: ordinary user does every day, so both attacks and benign requests are wrapped.
COURTESY_OPENINGS = (
    "Hi there!",
    "Hello, hope you are well.",
    "Morning!",
    "Hey, quick one.",
    "Good evening.",
    "Hi, thanks for helping me earlier.",
    "Hello again, it's me.",
    "Sorry to bother you.",
    "Happy Friday!",
    "Hiya, one more thing.",
)
COURTESY_CLOSINGS = (
    "Thank you so much!",
    "Thanks a lot, have a lovely day.",
    "Much appreciated, cheers.",
    "Thanks in advance, you are the best.",
    "Have a good weekend and stay warm out there.",
    "Cheers, and say hi to the team for me.",
    "Thanks! Hope your day is going well.",
    "Many thanks, I owe you a coffee.",
    "Thanks again, it is raining here but I am in a good mood.",
    "That's all, have a nice evening.",
)
#: Longest benign request wrapped, and longest attack: a pleasantry dilutes a short text; a
#: long one is not diluted by it.
COURTESY_MAX_CHARS = 300
COURTESY_ATTACK_MAX_CHARS = 600
#: Wrapped copies of each short attack (there are few: about 190 in the training split).
COURTESY_ATTACK_COPIES = 2


def courtesy_wrapped(
    rows: list[Example], held: list[Example], rng: random.Random, share: float = 0.15
) -> list[Example]:
    """Short training requests with pleasantries around them, every short attack among them.

    Each copy gets an opening, a closing or both (:data:`COURTESY_OPENINGS`,
    :data:`COURTESY_CLOSINGS`), keeps its row's labels, and focuses on the original text, so
    an attack wrapped in small talk must score where it stands and a benign request stays
    benign with the same words around it (the wrapper itself carries no signal). Every prompt
    attack up to :data:`COURTESY_ATTACK_MAX_CHARS` is wrapped :data:`COURTESY_ATTACK_COPIES`
    times (dilution is what hides them); single-line rows up to :data:`COURTESY_MAX_CHARS`
    by ``share``. From the training split only, as :func:`surface_variants`; a copy that
    reads as a held-out text is dropped. Untrusted rows are left alone: third-party text is
    not small talk.
    """
    held_texts = {text_key(ex.text) for ex in held}
    out = []
    for ex in rows:
        if ex.untrusted or ex.focus is not None or ex.source in HELDOUT_SOURCES:
            continue
        body = ex.text.strip()
        if "PROMPT_ATTACK" in ex.labels:
            copies = COURTESY_ATTACK_COPIES if 0 < len(body) <= COURTESY_ATTACK_MAX_CHARS else 0
        else:
            short = 0 < len(body) <= COURTESY_MAX_CHARS and "\n" not in body
            copies = 1 if short and rng.random() < share else 0
        for _ in range(copies):
            shape = rng.choice(("open", "close", "both"))
            before = rng.choice(COURTESY_OPENINGS) + " " if shape != "close" else ""
            after = " " + rng.choice(COURTESY_CLOSINGS) if shape != "open" else ""
            text = before + body + after
            if text_key(text) in held_texts:
                continue
            focus = (len(before), len(before) + len(body))
            out.append(
                Example(text, ex.labels, ex.source, ex.untrusted, ex.weight, ex.kind, ex.group, focus=focus)
            )
    return out


def text_key(text: str) -> str:
    """A text compared case- and whitespace-blind: the unit of the held-out rule."""
    return " ".join(text.lower().split())


def split_rows(rows: list[Example], seed: int = 7) -> tuple[list[Example], list[Example], list[Example]]:
    """(train, calibration, held-out): calibration is 15% of every training source.

    A row whose ``fold`` is set (split by statement, :func:`load_examples`) goes where it says.

    A row of a training source whose text is also a held-out row's (a written sentence that
    happens to equal a challenge test row, a jailbreak both releases carry) is dropped, so a
    held-out figure never rests on a text the model was trained or calibrated on.
    """
    rng = random.Random(seed)
    held_texts = {text_key(ex.text) for ex in rows if ex.source in HELDOUT_SOURCES}
    train: list[Example] = []
    calib: list[Example] = []
    held: list[Example] = []
    for ex in rows:
        if ex.source in HELDOUT_SOURCES:
            held.append(ex)
        elif "ANY_HARM" in ex.labels:
            continue
        else:
            # Drawn for every row, fixed fold or not, so the other rows' split stays the same.
            to_calib = rng.random() < 0.15
            if text_key(ex.text) in held_texts:
                continue
            if ex.fold:
                to_calib = ex.fold == "calib"
            (calib if to_calib else train).append(ex)
    return train, calib, held


def main() -> None:
    rows = load_examples()
    train, calib, held = split_rows(rows)
    variants = surface_variants(train, held, random.Random(5))
    print(f"surface variants of training rows: {len(variants)}")
    for name, part in (("train", train), ("calib", calib), ("held-out", held)):
        counts = Counter(ex.source for ex in part)
        pos = Counter(lab for ex in part for lab in ex.labels)
        print(f"{name}: {len(part)} rows; sources {dict(counts)}; labels {dict(pos)}")


if __name__ == "__main__":
    main()
