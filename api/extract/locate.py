"""Where a report puts the work a figure counts: the figure's words, its sentence, paragraph, or report."""

import re
from collections import Counter
from dataclasses import dataclass

from api.extract.figures import WHOLE_COUNTRY, Binding, WorkerFigure
from api.extract.gazetteer import (
    PlaceMention,
    country_place,
    dateline_end,
    find_dateline,
    find_locations,
    is_capital,
)
from api.extract.numbers import NUMBER
from api.extract.sentences import Span, clause_at, paragraph_spans, sentence_spans, span_at
from api.vocabulary import Precision

# North Korea is where the workers come from, never where an overseas workplace is.
HOME_COUNTRY = "KP"
# A dateline there is where the reporter is (Seoul, for most of the field's news), not the workplace.
REPORTING_COUNTRIES = frozenset({HOME_COUNTRY, "KR"})
# A place after these words is where workers or a firm come from, or where a firm is registered.
_NOT_WHERE_THEY_WORK = re.compile(
    r"\b(?:(?<!operate\s)(?<!operates\s)(?<!operated\s)(?<!operating\s)(?<!work\s)(?<!works\s)(?<!worked\s)"
    r"(?<!working\s)from"
    r"|(?:compan(?:y|ies)|firms?|subcontractors?|contractors?|agenc(?:y|ies)|enterprises?|bureaus?|LLC|Ltd|JSC|it"
    r"|which)\s+"
    r"(?:is\s+|was\s+)?(?:registered|based|founded|headquartered)\s+in|head\s+office\s+(?:in|to)"
    r"|offices?\s+in|agency\s+in|exported\s+to|export\s+to|sold\s+to|clients\s+in|accounts\s+in"
    r"|buyers?\s+in|customers?\s+in|orders?\s+from|ships?\s+(?:\w+\s+){0,4}?to"
    r"|sent\s+(?:back|home)\s+to|returned\s+to|no\s+\w+\s+in|embassy\s+in|consulate\s+in|ministry\s+in"
    # ... or a place on their way: 'came by train, through Beijing', 'flew in via Vladivostok'.
    r"|via|(?:came|come|travell?ed|arrived|flew|train|bus|plane|flight)\b[^.;]{0,30}?\bthrough)"
    r"\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# A North Korean town after these words is the seat of a firm that sends workers ('through a trading company
# in Rason'), not the place of the work a sentence counts.
_FIRM_IN = re.compile(
    r"\b(?:compan(?:y|ies)|firms?|agenc(?:y|ies)|enterprises?|corporations?|bureaus?|partners?|offices?"
    r"|ministr(?:y|ies)|headquarters)\s+(?:(?:based|registered)\s+)?in\s+$",
    re.IGNORECASE,
)
# A city of the reporting countries after these words is where the report's sources are: 'officials in
# Seoul said', 'researchers in Seoul say'. (Officials in Tomsk may well speak of Tomsk.)
_SOURCES_IN = re.compile(
    r"\b(?:officials?|sources?|diplomats?|researchers?|analysts?|experts?|observers?|activists?|intelligence"
    r"|government|authorities|spokesm[ae]n|think\s+tanks?|lawyers?|journalists?|correspondents?)\s+in\s+$",
    re.IGNORECASE,
)
# A place after these words is a reference point, not the place of the work: 'a tower 30 kilometres north
# of Muscat', 'camps in the taiga west of Tynda', '200 km from Khabarovsk'.
_REFERENCE_BEFORE = re.compile(
    r"\b(?:(?:north|south|east|west|north-east|north-west|south-east|south-west|northeast|northwest"
    r"|southeast|southwest)(?:ern)?\s+of|(?:kilometres?|kilometers?|km|miles?|hours?)\s+(?:away\s+)?(?:from|of))"
    r"\s+(?:the\s+)?$"
    # ... and a place describing another in an apposition: 'Artyom, the town beside Vladivostok's airport'.
    r"|,\s+(?:the|a)\s+(?:[\w-]+\s+){0,2}?(?:town|city|village|port|suburb|settlement|district)\s+"
    r"(?:[\w-]+\s+){0,3}?$",
    re.IGNORECASE,
)
_FROM_HEADLINE = "from the report's headline"
_MOST_NAMED = "named most often in the report"
# A place only seen from the work, across a river or a border: 'within sight of the towers of Kinshasa',
# 'across the river from Blagoveshchensk', 'on the opposite bank from Heihe'. It is neither the place of
# the work nor a distance to measure it by.
_IN_VIEW_BEFORE = re.compile(
    r"\b(?:within\s+sight\s+of|in\s+sight\s+of|(?:looks|looking|look)\s+(?:out\s+)?(?:across\s+)?(?:at|to)"
    r"|across\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?from|opposite|overlooking|facing)\s+"
    r"(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:of\s+)?$",
    re.IGNORECASE,
)
# The items of a list of origins before the last one: 'Ukraine (58), the Philippines (29) and '.
_ORIGIN_LIST = re.compile(
    r"(?:(?:the\s+)?[A-Z][\w\u2019' -]*?\s*\([^)]*\)\s*(?:,\s*(?:and\s+)?|and\s+))*(?:the\s+)?"
)
_AND = re.compile(r"\s+and\s+(?:in\s+)?")
# A country's possessive before a place of its own: "Malaysia's Sarawak state", "Russia's Kursk region".
_POSSESSIVE = re.compile(
    r"(?:'s|\u2019s)\s+(?:(?:far|north|south|east|west|north-east|north-west|south-east"
    r"|south-west|eastern|western|northern|southern)\s+)?"
)
_THE_CAPITAL = re.compile(r"\b(?:in|of|near|outside|around)\s+the\s+capital\b(?!\s+of\b)", re.IGNORECASE)
# 'on the city's eastern edge', 'in the town': the report's own city.
_THE_CITY = re.compile(r"\bthe\s+(?:city|town)(?:\u2019s|'s)?\b", re.IGNORECASE)
# A line of a list that starts with a place and a dash or colon: '- Tanzania - 30 doctors and nurses'.
_LIST_HEAD = re.compile(
    r"(?P<bullet>[ \t]*(?:[-*\u2022][ \t]+)?)(?P<place>[A-Z][^\n:\u2014\u2013]{0,40}?)"
    r"[ \t]*(?::|[\u2014\u2013]|[ \t]-)[ \t]"
)
# A sentence that opens on its place: 'In Pyongyang, the studio ...'.
_OPENING_IN = re.compile(r"(?i:in|at)\s+")
# The lines under a headline that name the outlet, its town and the date are this short.
MAX_MASTHEAD_CHARS = 160
# How far back the words above are looked for.
_LOOK_BACK = 40
# Words that tie a place to the figure just before it: '40 in Gdansk', 'were sent to Khabarovsk'.
_TIED_AFTER = re.compile(
    r"\s*(?:(?!and\b|but\b|while\b)[\w\u2019'-]+\s+){0,5}?(?:in|at|near|outside|to|into|around|on|across"
    r"|throughout)\s+(?:the\s+)?",
    re.IGNORECASE,
)
# 'in the country', 'in the sparsely populated country', 'in country', 'across the emirate'.
_IN_THE_COUNTRY = re.compile(
    rf"\s*(?:\w+\s+){{0,5}}?(?:(?:in|into|to|across|throughout)\s+(?:the\s+(?:[\w-]+\s+){{0,3}}?)?"
    rf"(?:country|emirate|kingdom|sultanate)(?!\s*(?:'s|\u2019s))|{WHOLE_COUNTRY})\b",
    re.IGNORECASE,
)
_COUNTRY_IN_QUOTE = re.compile(r"\b(?:in|across|throughout)\s+the\s+country\b", re.IGNORECASE)
# 'Laos hosts around 500 North Korean workers', 'Laos also sees about 100-200 workers coming': the country
# is the subject of the figure.
_HOSTS = re.compile(
    r"\s+(?:(?:also|still|now|currently)\s+)?(?:hosts|hosted|has|had|employs|employed|sees|saw|receives|received)"
    r"\s+(?:\S+\s+){0,2}$",
    re.IGNORECASE,
)
_IT_AT = re.compile(
    r"(?:put|puts|putting|estimated?|estimates|place[sd]?)\s+(?:it|them|the\s+(?:figure|number|total|count))\s+at\b",
    re.IGNORECASE,
)
# 'the country hosted some 1,500', 'the kingdom had 400': the country as the subject of the figure.
_COUNTRY_SUBJECT = re.compile(
    r"\bthe\s+(?:country|kingdom|emirate|sultanate|republic)\s+(?:\w+\s+){0,2}?"
    r"(?:hosted|hosts|housed|houses|had|has|employed|employs|received|receives)\s+(?:\S+\s+){0,2}$",
    re.IGNORECASE,
)
# 'in Laos', 'in the UAE', 'in neighbouring Qatar': a country named as where people are.
_IN_BEFORE = re.compile(r"\b(?i:in|across|throughout)\s+(?:[a-z-]+\s+)?$")
_A_NUMBER = re.compile(rf"{NUMBER}(?!\s*(?:%|percent))", re.IGNORECASE)
# A figure that counts one team or crew, which works in one place: 'the 24-member team', 'a crew of 45'.
_ONE_WORKPLACE = re.compile(
    r"\b(?:team|crew|brigade|squad|contingent|delegation|unit)\b|-member\b|-strong\b", re.IGNORECASE
)
_CAPTION = re.compile(
    r"[\[(]?(?:FILE\s+PHOTO|PHOTO(?:\s+CAPTION)?|Photo(?:\s+caption)?|Caption|CAPTION|Image|IMAGE|Picture)\b[^:\n]{0,40}:"
)


@dataclass(frozen=True)
class Located:
    """A figure's place, and in words how the text ties the two, for the claim's notes."""

    mention: PlaceMention
    how: str
    # A country placed for one workplace (a site 'north of Muscat'), not a figure for the whole country.
    one_workplace: bool = False


class ReportPlaces:
    """The places of one report, read once, and the rules that tie a figure to one of them."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.sentences = sentence_spans(body)
        self.paragraphs = paragraph_spans(body)
        located = _without_dateline_qualifiers(body, self.paragraphs, find_locations(body))
        self.home = [
            m
            for m in located
            if m.place.country == HOME_COUNTRY
            and self._after_in(m)
            and not _FIRM_IN.search(body, max(0, m.start - _LOOK_BACK), m.start)
        ]
        located = [
            m for m in located if not _IN_VIEW_BEFORE.search(body, max(0, m.start - _LOOK_BACK), m.start)
        ]
        self.references = [m for m in located if self._is_reference(m)]
        self.mentions = [m for m in located if self._where_work_is(m) and m not in self.references]
        self.dateline: PlaceMention | None = None
        self.report_place = self._report_place()

    def _where_work_is(self, mention: PlaceMention) -> bool:
        if mention.place.country == HOME_COUNTRY:
            return False
        before = self.body[max(0, mention.start - _LOOK_BACK) : mention.start]
        if mention.place.country in REPORTING_COUNTRIES and _SOURCES_IN.search(before):
            return False
        return not _NOT_WHERE_THEY_WORK.search(before)

    def _sources_city(self, mention: PlaceMention) -> bool:
        return bool(_SOURCES_IN.search(self.body, max(0, mention.start - _LOOK_BACK), mention.start))

    def _is_reference(self, mention: PlaceMention) -> bool:
        before = self.body[max(0, mention.start - _LOOK_BACK) : mention.start]
        return bool(_REFERENCE_BEFORE.search(before))

    def _in_origin_list(self, sentence: Span, mention: PlaceMention) -> bool:
        """Tell whether `mention` is in a list of where people come from: 'from Ukraine (58), Nepal (26)'."""
        head = self.body.rfind(" from ", sentence[0], mention.start)
        if head < 0:
            return False
        return bool(_ORIGIN_LIST.fullmatch(self.body, head + len(" from "), mention.start))

    def _local(self, span: Span) -> list[PlaceMention]:
        """Cities and regions named in `span` (a country counts only as 'in <country>')."""
        return [
            m
            for m in self.mentions
            if span[0] <= m.start
            and m.end <= span[1]
            and (m.place.level is not Precision.country or self._after_in(m))
        ]

    def _after_in(self, mention: PlaceMention) -> bool:
        return bool(_IN_BEFORE.search(self.body, max(0, mention.start - _LOOK_BACK), mention.start))

    def _report_place(self) -> Located | None:
        """The place the report as a whole is about: its dateline, its headline's place, its usual place."""
        for start, end in self.paragraphs[:6]:
            dateline = find_dateline(self.body, start, end)
            if dateline is not None and dateline.place.country not in REPORTING_COUNTRIES:
                if self._bureau(dateline):
                    continue
                self.dateline = dateline
                lead = self._lead_place(dateline, (start, end))
                return lead or Located(dateline, "from the report's dateline")
        if self.paragraphs:
            title = [m for m in self._local(self.paragraphs[0]) if m.place.level is not Precision.country]
            if title:
                return Located(title[0], _FROM_HEADLINE)
        for start, end in self.paragraphs[1:3]:  # 'Priamurye Vestnik (Belogorsk), 14 October 2026'
            masthead = [m for m in self._local((start, end)) if m.place.level is not Precision.country]
            if end - start <= MAX_MASTHEAD_CHARS and masthead:
                return Located(masthead[0], "from the report's masthead")
        counts = Counter(m.place for m in self.mentions if m.place.level is not Precision.country)
        if counts:
            place, _ = counts.most_common(1)[0]
            first = next(m for m in self.mentions if m.place == place)
            return Located(first, _MOST_NAMED)
        return None

    def _bureau(self, dateline: PlaceMention) -> bool:
        """Tell whether a dateline is only where the reporter files from ('TOKYO - ... on Sakhalin').

        A city in a country the text never names a town or region of again, over a text whose towns and
        regions all lie in another. (Countries named alone may be where others come from: 'nationals of
        Ukraine (64)'.)
        """
        after = [
            m
            for m in (*self.mentions, *self.references)
            if m.start >= dateline.end and m.place.level is not Precision.country
        ]
        return bool(after) and all(m.place.country != dateline.place.country for m in after)

    def _lead_place(self, dateline: PlaceMention, paragraph: Span) -> Located | None:
        """The city the lead names when the dateline is only where the reporter filed from.

        'BEIJING (Asia Wire) - Two seafood processors in Dandong ...': a dateline city the text never
        names again, over a lead that names another city of the same country, is not the story's place. (A
        region in the lead may hold the dateline's city: 'ULAN-UDE - ... in Buryatia'.)
        """
        again = [m for m in self.mentions if m.place == dateline.place and m.start >= dateline.end]
        if again:
            return None
        # The lead's first sentence: a later one may count people of another town ('At least 70 work on the
        # tower. Fewer than 20 work in Pervouralsk.').
        first = span_at(self.sentences, dateline.end)
        lead = [
            m
            for m in self._local((dateline.end, min(paragraph[1], first[1])))
            if m.place.level is Precision.city and m.place.country == dateline.place.country
        ]
        if lead:
            return Located(lead[0], "named in the lead under a dateline the text does not name again")
        # 'VALLETTA - Sixty-four North Koreans ... are working legally in Malta': a lead that counts the
        # whole country under its capital's dateline, named nowhere else, makes the report one on the country.
        whole = [
            m
            for m in self._local((dateline.end, min(paragraph[1], first[1])))
            if m.place.level is Precision.country and m.place.country == dateline.place.country
        ]
        counted = (
            whole and is_capital(dateline.place) and _A_NUMBER.search(self.body, dateline.end, whole[0].start)
        )
        return (
            Located(whole[0], "is the country the lead counts under a dateline the text does not name again")
            if counted
            else None
        )

    def country(self, paragraph: Span, position: int | None = None) -> PlaceMention | None:
        """The country 'the country' means, the one the paragraph last named before `position` first.

        'In Equatorial Guinea, ... remained in the country': the paragraph's country; without one, the
        report's place's country, else the paragraph's first country, else the report's first.
        """
        if position is not None:
            named = [
                m
                for m in self._local((paragraph[0], position))
                if m.place.level is Precision.country and m.end <= position
            ]
            # ... else the one country the paragraph names before ('are not new to Libya. ... in the
            # country'), when it names only one.
            anywhere = [
                m
                for m in self.mentions
                if paragraph[0] <= m.start and m.end <= position and m.place.level is Precision.country
            ]
            if not named and len({m.place for m in anywhere}) == 1:
                named = anywhere
            if named:
                return named[-1]
        if self.report_place is not None:
            code = self.report_place.mention.place.country
            return PlaceMention(
                self.report_place.mention.start, self.report_place.mention.end, country_place(code)
            )
        for span in (paragraph, (0, len(self.body))):
            countries = [
                m
                for m in self.mentions
                if m.place.level is Precision.country and span[0] <= m.start < span[1]
            ]
            if countries:
                return countries[0]
        return None

    def is_lead(self, position: int) -> bool:
        """Tell whether `position` is in the headline or a photo caption rather than the running text."""
        paragraph = span_at(self.paragraphs, position)
        first = bool(self.paragraphs) and paragraph == self.paragraphs[0]
        return first or bool(_CAPTION.match(self.body, paragraph[0]))

    def locate(self, figure: WorkerFigure) -> Located | None:  # noqa: PLR0911 (one return per rule, in order)
        """The place of the work `figure` counts: its own words, clause, sentence, paragraph, report."""
        body = self.body
        sentence = span_at(self.sentences, figure.number_start)
        clause = clause_at(body, sentence, figure.number_start)
        paragraph = span_at(self.paragraphs, figure.number_start)
        tied = _TIED_AFTER.match(body, figure.end, clause[1])
        if tied is not None:
            for mention in self.mentions:
                if mention.start == tied.end() and mention.end <= sentence[1]:
                    pair = self._and_another_city(mention)
                    if pair is not None:
                        return Located(pair, "is the country of the two cities named right after the figure")
                    return Located(self._within(mention), "named right after the figure")
        if (
            _IN_THE_COUNTRY.match(body, figure.end, clause[1])
            or _IN_THE_COUNTRY.match(body, figure.end, sentence[1])
            # ... or the figure's own words: 'put the number of North Koreans working in the country at 300'
            or _COUNTRY_IN_QUOTE.search(body, figure.start, figure.number_start)
        ):
            country = self.country(paragraph, figure.start)
            if country is not None:
                return Located(country, "is the whole country ('in the country')")
        if _IT_AT.match(body, figure.start):
            # 'The real number is far larger: intelligence put it at 15,000': the place of what 'it' is, the
            # sentence before, not of another count later in the sentence.
            earlier = self._antecedent_place(sentence, paragraph, figure)
            if earlier is not None:
                return earlier
        if _COUNTRY_SUBJECT.search(body, sentence[0], figure.start):
            country = self.country(paragraph, figure.start)
            if country is not None:
                return Located(
                    country, "is the whole country, the subject of the figure ('the country hosted')"
                )
        line_start = body.rfind("\n", 0, figure.number_start) + 1
        if figure.binding is Binding.line:
            heads = [m for m in self.mentions if line_start <= m.start < figure.number_start]
            # 'Democratic Republic of the Congo (Lubumbashi) \u2014 about 100': the one city in brackets
            # after the country is the more precise place of the line.
            cities = [m for m in heads if m.place.level is Precision.city]
            if len({m.place for m in cities}) == 1 and body.rfind("(", line_start, cities[0].start) >= 0:
                return Located(cities[0], "is the city in brackets at the head of the figure's line")
            return Located(heads[0], "heads the figure's line") if heads else None
        head = _LIST_HEAD.match(body, line_start, figure.number_start)
        if head is not None:  # '- Tanzania - 30 doctors and nurses': a list line headed by its place
            heads = [m for m in self.mentions if m.start == head.end("bullet")]
            if heads and heads[0].end == head.end("place"):
                return Located(heads[0], "heads the figure's line")
        if figure.binding is Binding.bracketed:
            paren = body.rfind("(", 0, figure.number_start)
            before = [m for m in self.mentions if m.end <= paren and not body[m.end : paren].strip()]
            if not before or self._in_origin_list(sentence, before[-1]):
                return None
            return Located(before[-1], "stands before the figure's brackets")
        if figure.binding is Binding.place:
            return None
        if figure.binding is Binding.trailing:
            before = [m for m in self.mentions if sentence[0] <= m.start and m.end <= figure.start]
            return Located(before[-1], "closes the clause that names the figure's place") if before else None
        for mention in self.mentions:
            subject = sentence[0] <= mention.start and mention.end <= figure.start
            if subject and _HOSTS.fullmatch(body, mention.end, figure.start):
                return Located(mention, "is the subject the figure is counted for")
        for span, how in (
            (clause, "named in the figure's clause"),
            (sentence, "named in the figure's sentence"),
        ):
            local = [m for m in self._local(span) if m.place.level is not Precision.country]
            # Where the sources are ('diplomats in Dubai estimate that ... in Sharjah') gives way to any other
            # place of the clause or sentence; alone, it may be the place they speak of (officials in Tomsk).
            own = [m for m in local if not self._sources_city(m)]
            local = own or local
            if local:
                return Located(min(local, key=lambda m: _distance(m, figure)), how)
        countries = self._local(sentence)
        if countries and _ONE_WORKPLACE.search(body, figure.start, figure.end):
            # 'The 24-member team ... arrived in eastern Libya': a team works in one place, the city the
            # text has named in that country before, rather than the whole country.
            city = self._city_before(paragraph, figure, countries[0].place.country)
            if city is not None:
                return Located(city, "is the city named before the team's figure, in the country it names")
        if countries:
            return Located(
                min(countries, key=lambda m: _distance(m, figure)), "is the country the sentence names"
            )
        references = [m for m in self.references if sentence[0] <= m.start < sentence[1]]
        if references:  # the sentence places the work only by its distance from a city: its country
            reference = references[0]
            where = PlaceMention(reference.start, reference.end, country_place(reference.place.country))
            return Located(where, "is the country of the city the sentence measures from", one_workplace=True)
        others = [
            m
            for m in self._local(paragraph)
            if m.place.level is not Precision.country and not (sentence[0] <= m.start < sentence[1])
        ]
        before = [m for m in others if m.end <= sentence[0]]
        if before:
            return Located(before[-1], "named earlier in the figure's paragraph")
        # A later sentence that counts people of its own ('Fewer than 20 work in Pervouralsk') names their
        # place, not this figure's.
        later = [m for m in others if not self._counts_before(m)]
        if later:
            return Located(later[0], "named later in the figure's paragraph")
        report = self.report_place
        if (
            report is not None
            and report.mention.place.level is Precision.city
            and _THE_CITY.search(body, sentence[0], sentence[1])
        ):
            return Located(report.mention, "is the report's city, which the sentence calls 'the city'")
        dateline = self.dateline
        if (
            dateline is not None
            and report is not None
            and report.mention.place.level is Precision.country
            and _THE_CAPITAL.search(body, sentence[0], sentence[1])
        ):  # 'MOSCOW - ... in Russia. ... At a site in the capital, 60 North Koreans ...'
            return Located(dateline, "is the dateline's city, which the sentence calls 'the capital'")
        country = self._country_before(paragraph, figure)
        if country is not None:
            return Located(country, "is the country named before the figure, not the report's")
        previous = [
            m
            for m in self._local(self._paragraph_before(paragraph))
            if m.place.level is not Precision.country
        ]
        if previous and not self.is_lead(figure.number_start):  # a caption is not continued text
            # A city before a region: 'DUNHUA, Jilin - The garment factory ...' names its city first.
            cities = [m for m in previous if m.place.level is Precision.city]
            return Located((cities or previous)[0], "named first in the paragraph before the figure's")
        if self.report_place is None:
            # 'Sabah Al Ahmad, an hour's drive south of Kuwait City ... The site employs about 70': a town
            # the gazetteer does not know, placed by its distance from a city of the country.
            near = [
                m for m in self.references if self._paragraph_before(paragraph)[0] <= m.start < figure.start
            ]
            if near:
                where = PlaceMention(near[-1].start, near[-1].end, country_place(near[-1].place.country))
                return Located(where, "is the country of the city the text measures from", one_workplace=True)
        return self.report_place

    def _antecedent_place(self, sentence: Span, paragraph: Span, figure: WorkerFigure) -> Located | None:
        """The place of the sentence before a figure that only says 'put it at N'."""
        index = self.sentences.index(sentence) if sentence in self.sentences else 0
        # (The figure's own head names its sources: 'A think tank in Seoul puts it at'.)
        spans = [self.sentences[index - 1]] if index and self.sentences[index - 1][0] >= paragraph[0] else []
        for span in spans:
            if re.search(r"\bin\s+the\s+country\b", self.body[span[0] : span[1]], re.IGNORECASE):
                country = self.country(paragraph, span[1])
                if country is not None:
                    return Located(country, "is the whole country the sentence before counts ('put it at')")
            local = self._local(span)
            if local:
                return Located(local[-1], "named where the figure's 'it' is said")
        return None

    def _and_another_city(self, mention: PlaceMention) -> PlaceMention | None:
        """The country of 'in Abu Dhabi and Dubai': one figure for two cities of a country."""
        joined = _AND.match(self.body, mention.end)
        if mention.place.level is not Precision.city or joined is None:
            return None
        other = [
            m
            for m in self.mentions
            if m.start == joined.end() and m.place.level is Precision.city and m.place != mention.place
        ]
        if not other or other[0].place.country != mention.place.country:
            return None
        return PlaceMention(mention.start, other[0].end, country_place(mention.place.country))

    def _within(self, mention: PlaceMention) -> PlaceMention:
        """The place a country's possessive introduces: 'in Malaysia's Sarawak state' is in Sarawak."""
        possessive = _POSSESSIVE.match(self.body, mention.end)
        if mention.place.level is not Precision.country or possessive is None:
            return mention
        inner = [
            m
            for m in self.mentions
            if m.start == possessive.end() and m.place.country == mention.place.country
        ]
        return inner[0] if inner else mention

    def _counts_before(self, mention: PlaceMention) -> bool:
        """Tell whether the sentence of `mention` states a number before it ('Fewer than 20 work in X')."""
        sentence = span_at(self.sentences, mention.start)
        return bool(_A_NUMBER.search(self.body, sentence[0], mention.start))

    def _city_before(self, paragraph: Span, figure: WorkerFigure, country: str) -> PlaceMention | None:
        """The last city of `country` named before the figure, in its paragraph or the one before."""
        begin = self._paragraph_before(paragraph)[0] if self._paragraph_before(paragraph)[1] else paragraph[0]
        cities = [
            m
            for m in self._local((begin, figure.start))
            if m.place.level is Precision.city and m.place.country == country
        ]
        if cities:
            return cities[-1]
        report = self.report_place
        if report is not None and report.mention.place.level is Precision.city:
            return report.mention if report.mention.place.country == country else None
        return None

    def _country_before(self, paragraph: Span, figure: WorkerFigure) -> PlaceMention | None:
        """The last country named ('in Qatar') before the figure in its paragraph (or anywhere before it).

        It places the figure only when the report has no place of its own or one in another country: a
        'DUBAI' dateline does not move a figure the text has put in Qatar.
        """
        report = self.report_place
        # Without a place of its own, the report's country is the one its text last named.
        spans = [paragraph] if report is not None else [(0, paragraph[1])]
        countries = [
            m
            for span in spans
            for m in self._local(span)
            if m.place.level is Precision.country and m.end <= figure.start
        ]
        if not countries:
            return None
        # (A report place only guessed from the headline or the text's most named town gives way to the
        # country the paragraph names: 'How many work in Kuwait is disputed. ... put it at 2,500'.)
        guessed = report is not None and report.how in (_FROM_HEADLINE, _MOST_NAMED)
        if report is not None and not guessed and report.mention.place.country == countries[-1].place.country:
            return None
        return countries[-1]

    def at_home(self, figure: WorkerFigure) -> bool:
        """Tell whether the figure's sentence puts it in North Korea ('In Pyongyang, the studio employs')."""
        sentence = span_at(self.sentences, figure.number_start)
        clause = clause_at(self.body, sentence, figure.number_start)
        opening = _OPENING_IN.match(self.body, sentence[0], sentence[1])
        home = [
            m
            for m in self.home
            if clause[0] <= m.start < clause[1] or (opening is not None and m.start == opening.end())
        ]
        abroad = [m for m in self.mentions if sentence[0] <= m.start < sentence[1]]
        return bool(home) and not abroad

    def _paragraph_before(self, paragraph: Span) -> Span:
        """The paragraph before `paragraph`, unless that is the headline (which the report's place reads)."""
        index = self.paragraphs.index(paragraph) if paragraph in self.paragraphs else 0
        return self.paragraphs[index - 1] if index > 1 else (paragraph[0], paragraph[0])


def _without_dateline_qualifiers(
    body: str, paragraphs: list[Span], located: list[PlaceMention]
) -> list[PlaceMention]:
    """Drop the province that qualifies a dateline's city ('DUNHUA, Jilin -', 'SUIFENHE, Heilongjiang -').

    It is not a place of its own (though Jilin is also a city): the dateline's city is the more precise.
    """
    qualifiers: list[Span] = []
    for start, end in paragraphs[:6]:
        city = find_dateline(body, start, end)
        stop = dateline_end(body, start, end)
        if city is not None and stop is not None:
            qualifiers.append((city.end, stop))
    return [
        m
        for m in located
        if not any(
            q_start <= m.start < q_end and m.place.level is not Precision.country
            for q_start, q_end in qualifiers
        )
    ]


def _distance(mention: PlaceMention, figure: WorkerFigure) -> int:
    if mention.end <= figure.start:
        return figure.start - mention.end
    return max(0, mention.start - figure.end)
