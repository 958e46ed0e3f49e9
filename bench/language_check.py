"""How often ``bot.language.LanguageCheck`` takes an English message for another language,
how often it tells a foreign one, and what it costs a message.

English messages: the developer splits of BANKING77, CLINC150 and SNIPS (read in place from
``/work/shared/data``), as written and with keyboard typos (``nlu.augment.with_typo``), judged
with two vocabularies of "the project's own words": the demo shop's NLU examples (a bot whose
users ask about other things than it was trained on) and each dataset's own train split (a
bot trained on such questions). Foreign messages: a small hand-written set below.

    .venv/bin/python bench/language_check.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlu_quality import DATA_ROOT, dataset

from bot.language import LanguageCheck
from bot.nlu_parser import words_of
from bot.project import load_project
from bot.training import project_data
from nlu.augment import with_typo

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"
FOREIGN = {
    "de": [
        "Hallo, wo ist meine Bestellung?", "Ich möchte etwas zurückgeben",
        "Wie lange dauert der Versand nach Österreich?", "Kann ich mit Rechnung bezahlen?",
        "Mein Paket ist beschädigt angekommen", "Ich möchte mit einem Menschen sprechen",
    ],
    "fr": [
        "Où est ma commande ?", "Je voudrais retourner un article",
        "Combien coûte la livraison en Belgique ?", "Puis-je payer avec PayPal ?",
        "Mon colis est arrivé endommagé", "Je veux parler à quelqu'un",
    ],
    "es": [
        "¿Dónde está mi pedido?", "Quiero devolver un producto",
        "¿Cuánto cuesta el envío a España?", "¿Puedo pagar con tarjeta?",
        "Mi paquete llegó roto", "Quiero hablar con una persona",
    ],
    "it": [
        "Dov'è il mio ordine?", "Vorrei restituire un articolo",
        "Quanto costa la spedizione in Italia?", "Posso pagare con PayPal?",
    ],
    "nl": [
        "Waar is mijn bestelling?", "Ik wil iets terugsturen",
        "Hoe lang duurt de levering?", "Kan ik met iDEAL betalen?",
    ],
    "pt": [
        "Onde está a minha encomenda?", "Quero devolver um artigo",
        "Quanto custa o envio para Portugal?",
    ],
}  # fmt: skip


def english_sets(root: Path) -> dict[str, tuple[list[str], set[str]]]:
    """Per dataset: its dev texts and its train split's words."""
    sets = {}
    for name in ("banking77", "clinc150", "snips"):
        train, dev, _ = dataset(name, root)
        texts = [e.text for e in dev.examples]
        sets[name] = (texts, words_of(e.text for e in train.examples))
    return sets


def typoed(texts: list[str], seed: int) -> list[str]:
    from nlu.data import Example

    rng = random.Random(seed)
    out = []
    for text in texts:
        changed = with_typo(Example(text, "x"), rng)
        out.append(changed.text if changed is not None else text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", type=Path, default=DATA_ROOT)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    started = time.perf_counter()
    demo_words = words_of(e.text for e in project_data(load_project(DEMO)).examples)
    demo = LanguageCheck("en", demo_words)
    print(f"LanguageCheck built in {time.perf_counter() - started:.2f} s")
    print("\nEnglish judged foreign (false positives):")
    print(f"{'set':<10} {'texts':>6} {'vocabulary':<12} {'as written':>12} {'with typos':>12}")
    timings: list[float] = []
    for name, (texts, own_words) in english_sets(args.data_root).items():
        for label, check in (("demo", demo), ("own train", LanguageCheck("en", own_words))):
            row = []
            for variant in (texts, typoed(texts, args.seed)):
                wrong = []
                for text in variant:
                    t = time.perf_counter()
                    if check.foreign(text) is not None:
                        wrong.append(text)
                    timings.append(time.perf_counter() - t)
                row.append(f"{len(wrong)} ({len(wrong) / len(variant):.2%})")
                for text in wrong[:3]:
                    print(f"    e.g. {text!r} -> {check.foreign(text)}")
            print(f"{name:<10} {len(texts):>6} {label:<12} {row[0]:>12} {row[1]:>12}")
    print("\nForeign messages told (demo vocabulary):")
    told = total = 0
    for code, texts in FOREIGN.items():
        for text in texts:
            total += 1
            found = demo.foreign(text)
            told += found is not None and found.code == code
            if found is None or found.code != code:
                print(f"    missed {code}: {text!r} -> {found}")
    print(f"{told} of {total} ({told / total:.0%})")
    timings.sort()
    print(
        f"\nper message: mean {statistics.mean(timings) * 1000:.3f} ms, "
        f"p99 {timings[int(len(timings) * 0.99)] * 1000:.3f} ms ({len(timings)} judged)"
    )


if __name__ == "__main__":
    main()
