"""What guarding a stream costs: guard time and hold-back per answer, by check step and policy.

    python benchmarks/proxy_stream.py [--policies test,pii-mask,default] [--steps 1,16,32,64,128]

A ~2,000-character answer (with two e-mail addresses and a phone number) is streamed as
4-character tokens through :class:`steward.proxy.holdback.StreamGuard` with a 200-character
hold-back window. For each policy and check step it prints: how many times the guard ran,
the guard's total CPU time for the answer, the most characters ever held, and whether the
released text equals guarding the whole answer at once. The peer figure is that one-shot
guard call (what a non-streaming request costs): the price of streaming is the ratio.

``test`` is a regex-only policy (like the tests'); ``pii-mask`` and ``default`` are the
shipped packs (``default`` runs learned detectors; its models load during a warm-up call
that is not timed).
"""

from __future__ import annotations

import argparse
import time

from steward.assessment import Source
from steward.guard import Guard
from steward.policy import load_policy, parse_policy
from steward.proxy.holdback import StreamGuard

ANSWER = (
    "Thanks for getting in touch about your order. I have looked at the details you sent and I can "
    "explain what happened and what you can do next. The parcel left our warehouse on Monday and was "
    "handed to the courier the same afternoon. Because of the storm in the north, deliveries in your "
    "area are running about two days late, so it should reach you by Thursday at the latest. If it "
    "has not arrived by Friday, please write to our returns team at returns.team@shop.example.com and "
    "mention your order number so they can open a claim with the courier straight away. "
    "You asked whether you can change the delivery address. That is possible until the parcel is out "
    "for delivery: call the courier on +1 415 555 0142 and choose the option for changing a delivery, "
    "or use the tracking page and pick a neighbour or a pickup point instead. Some pickup points keep "
    "parcels for seven days, others for fourteen, so check the opening hours before you choose one. "
    "About the refund for the damaged mug from your previous order: the finance team approved it this "
    "morning and the money will be back on your card within three to five working days, depending on "
    "your bank. You will get a confirmation e-mail from billing@payments.example.org when it is sent. "
    "If you would like a replacement instead of the refund, reply to this message before the end of "
    "the week and I will arrange it for you at no extra cost. Finally, thank you for your patience. "
    "I know waiting for a parcel is frustrating, especially when it is a present, and I am sorry the "
    "weather got in the way this time. Is there anything else I can help you with today?"
)

TEST_POLICY = {
    "name": "regex-only",
    "sensitive_information": {
        "regexes": [
            {"name": "EMAIL", "pattern": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"},
            {"name": "PHONE", "pattern": r"\+?\d[\d ]{8,}\d"},
        ]
    },
}


def stream(guard: Guard, *, holdback: int, step: int, token: int = 4) -> tuple[int, float, int, str]:
    sg = StreamGuard(guard, holdback=holdback, check_every=step)
    out, most = [], 0
    started = time.process_time()
    for i in range(0, len(ANSWER), token):
        out.append(sg.feed(ANSWER[i : i + token]).text)
        most = max(most, sg.held)
    out.append(sg.finish().text)
    return sg.checks, (time.process_time() - started) * 1000, most, "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", default="test,pii-mask,default")
    parser.add_argument("--steps", default="1,16,32,64,128")
    parser.add_argument("--holdback", type=int, default=200)
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    print(
        f"answer: {len(ANSWER)} characters in {len(ANSWER) // 4 + 1} tokens of 4; hold-back {args.holdback}"
    )
    print(
        f"{'policy':10} {'step':>5} {'checks':>7} {'guard ms':>9} {'x one-shot':>10} {'max held':>9}  same as one-shot"
    )
    for name in args.policies.split(","):
        policy = parse_policy(TEST_POLICY) if name == "test" else load_policy(name)
        guard = Guard(policy)
        guard.apply("Warm-up: load every model once. Contact a@example.com.", Source.OUTPUT)
        t0 = time.process_time()
        whole = guard.apply(ANSWER, Source.OUTPUT)
        one_shot = (time.process_time() - t0) * 1000
        expected = whole.output_text if whole.output_text is not None else ANSWER
        print(
            f"{name:10} {'whole':>5} {1:>7} {one_shot:>9.1f} {1.0:>10.1f} {len(ANSWER):>9}  (peer: one call on the whole answer)"
        )
        for step in steps:
            checks, ms, most, released = stream(guard, holdback=args.holdback, step=step)
            print(
                f"{name:10} {step:>5} {checks:>7} {ms:>9.1f} {ms / max(one_shot, 1e-6):>10.1f} {most:>9}  {released == expected}"
            )


if __name__ == "__main__":
    main()
