"""The managed PROFANITY word list: ``better-profanity``'s list, minus words that are not profanity.

Why that list: it is MIT-licensed, ships inside a PyPI package we already depend on (nothing is
downloaded or copied into Steward), is English, and has about 900 entries including common
misspellings. Its maintainers cast a wide net, though: 277 of its 916 entries (30%) are ordinary
words (``god``, ``kill``, ``fat``), anatomy and health terms (``penis``, ``breasts``,
``menstruation``), drugs, history and identity terms (``heroin``, ``hitler``, ``gay``,
``lesbians``). Flagging those is the exaggerated safety and identity bias users complain about
first, and other policy sections (content filters, denied topics) judge such subjects in context.
:data:`NOT_PROFANITY` removes them; ``docs/words.md`` lists them by reason. Nothing is added.

:data:`ALLOWED_CONTEXTS` are phrases in which a listed word is innocent (``magna cum laude``,
``Moby Dick``); a managed-list match inside one of them is not reported.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["ALLOWED_CONTEXTS", "NOT_PROFANITY", "NOT_PROFANITY_BY_REASON", "managed_profanity_words"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Entries of the upstream list that are not profanity, removed (lowercase), grouped by reason.
NOT_PROFANITY_BY_REASON: dict[str, tuple[str, ...]] = {
    "identity and group terms: naming people is not swearing": _words(
        """gay gays lesbians lesbos queer queers transsexual homoerotic aryan arian negro gai"""
    ),
    "body, health, sex-education and crime vocabulary: clinical or descriptive words": _words(
        """anal anus areole breasts clitoris ejaculate ejaculated ejaculates ejaculating ejaculatings
        ejaculation erect erection enlargement foreskin glans hymen labia menses menstruate menstruation
        nipple nipples oral orally organ orgasm orgasms orgasmic orgasim orgasims ovary ovum ovums penetrate
        penetration penial penile penis phallic phalli pubic pubis rectal rectum rectus scrotum semen sex
        sexual sperm tampon testes testicle testical testis teste testee urinal urine uterus vagina vulva
        womb vomit hiv herpes naked nude nudes virgin unwed erotic erotism incest molest rape raped raping
        rapist pedophile pedophilia pedophiliac prostitute pornography masochist sadism sadist voyeur
        bondage bdsm lust lusting lusty seduce facial fondle fingering loin loins thrust pms pee potty
        undies pantie panties panty pastie pasty lube perversion"""
    ),
    "drugs, alcohol, weapons, violence and history: subjects, not swear words": _words(
        """drunk ganja hemp heroin hookah hooch hootch meth opiate opium pcp peyote pot reefer stoned
        valium viagra vodka rum extacy extasy weed kill murder howtokill howtomurdep napalm sniper uzi
        hitler nazi nazism reich kkk klan slave junkie junky scag skag toke souse soused massa"""
    ),
    "everyday words, mild insults, names and stray entries whose ordinary sense is innocent": _words(
        """god fat ugly stupid dummy dopey doofus moron jerk jerked nimrod ninny weirdo prude prig tramp
        trashy tawdry vulgar sleaze sleazy vixen wench bimbo bimbos inbred leper thug lech screw screwed
        screwing suck sucked sucking snatch snuff stroke strip slope hump humped humping kinky racy steamy
        busty raunch scantily horny horniest playboy hooters hooter hooker crotch wedgie willies willy
        woody wad wang weiner weenie whiz tinkle toots tush teat hussy floozy sissy gigolo pimp quicky
        cowgirl cowgirls threesome stripclub paddy pollock omg lmao lmfao xx maxi pawn revue sandbar
        seaman seamen foobar len asanchez kinkyjesus herp herpy homey nappy knob muff flange dong poop
        scum"""
    ),
    "the same words written as two": ("cow girl", "cow girls", "three some", "strip club"),
}
#: Every removed entry, whatever the reason.
NOT_PROFANITY: frozenset[str] = frozenset(w for group in NOT_PROFANITY_BY_REASON.values() for w in group)

#: Phrases in which a managed-list word is innocent; a match inside one is not reported.
ALLOWED_CONTEXTS: tuple[str, ...] = (
    "cum laude",
    "magna cum laude",
    "summa cum laude",
    "moby dick",
    "spotted dick",
    "blue tit",
    "coal tit",
    "cock a doodle",
)


@cache
def managed_profanity_words() -> tuple[str, ...]:
    """The PROFANITY list: ``better_profanity/profanity_wordlist.txt`` minus :data:`NOT_PROFANITY`.

    Read from the installed package once per process; entries keep the upstream spelling.
    """
    raw = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text("utf-8")
    words: list[str] = []
    seen: set[str] = set()
    for line in raw.splitlines():
        word = " ".join(line.split())
        key = word.casefold()
        if word and key not in NOT_PROFANITY and key not in seen:
            seen.add(key)
            words.append(word)
    return tuple(words)
