"""Worker figures in running text: 'about 70 workers', 'some 250 laborers', 'where forty women work'."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from api.extract.exclusions import not_there_now
from api.extract.gazetteer import gazetteer
from api.extract.groups import GROUP_PATTERNS, QUOTED_FROM_START, TRAILING, table_rows
from api.extract.numbers import HEDGES, NUMBER, UNITS_AFTER, WORDS, WORKERS, parse_number
from api.extract.sentences import Span, paragraph_spans, sentence_spans, span_at

_NORTH_KOREANS = r"North\s+Koreans|Koreans"
_PEOPLE = r"women|men|girls|youths|people|individuals|citizens|nationals|expats|expatriates"
# Verbs of work in progress, after 'are' or 'were': what a part of a workforce is doing there.
_AT_WORK_ON = (
    r"working|building|rebuilding|constructing|finishing|repairing|renovating|painting|plastering|sewing"
    r"|cooking|processing|fishing|laying|erecting|logging|farming"
)
# Counted people who are workers only when the text says they work: 'four North Korean nationals' may be
# the defendants of a case; 'four North Korean women' at a plant are its workers.
# ... and they work when 'are currently working' follows them (the quote stays the count and its noun).
# ... or 'at work', or 'were found working' (an inspection's or a court's finding: 'found performing work').
_AT_WORK_NOW = re.compile(
    r"\s+(?:(?:are|were|is|was)\s+(?:currently|now|still|also|mostly|mainly)\s+(?:working|employed)"
    rf"|at\s+work|(?:are|were|is|was)\s+found\s+(?:{_AT_WORK_ON}|performing|doing|employed|carrying\s+out))\b",
    re.IGNORECASE,
)
_PEOPLE_AT_WORK_ONLY = re.compile(r"people|individuals|citizens|nationals", re.IGNORECASE)
_WORK_VERBS = (
    r"work|works|worked|working|toil|toils|toiling|labor|labors|laboring|labour|labours|labouring"
    r"|are\s+employed|were\s+employed|are\s+working|were\s+working|employed|process|processes|sew|sews"
    r"|cook|cooks|build|builds|built|live|lived|stay|stayed|spend|spent|remain|remained"
)
_EMPLOYING = re.compile(
    r"\b(?:employ|employs|employed|employing|hire|hires|hired|hiring|has|have|had|staffed\s+by|"
    r"supplied|sent|dispatched|brought|placed|deployed|posted|housed)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
# Words that cannot stand between a number and the noun it counts ('10% of them', '4 hours a day').
_BLOCKED = (
    r"of|the|a|an|in|at|on|to|for|from|with|by|per|and|or|but|than|that|which|who|less|other|is|are"
    r"|was|were|be|been|has|have|had|hours?|days?|weeks?|months?|years?|decades?|centuries|generations"
    r"|after|before|since|ago|times|percent|dollars?|yuan|rubles?"
    r"|roubles?|won|tons?|tonnes?|kilometers?|kilometres?|miles?|meters?|metres?|square|floors?|units?"
)
_FIGURE = re.compile(
    rf"""
    (?P<number>{NUMBER})["\u201d]?(?:(?<=dozen)\s+of|(?<=score)\s+of)?
    (?P<post>-odd\b|\+|-plus\b|\s+or\s+so\b|\s+or\s+more\b|\s+odd\b)?
    (?P<modifiers>(?:\s+["\u201c\u2018']?(?!(?:{_BLOCKED})\b)[^\W\d_][\w\u2019'-]*["\u201d\u2019']?){{0,4}}?)
    \s+(?:(?P<noun>{WORKERS})\b|(?P<koreans>{_NORTH_KOREANS})\b|(?P<people>{_PEOPLE})\b(?!\s+(?:{WORKERS})\b))
    (?P<origin>\s+(?:from|of)\s+(?:North\s+Korea|the\s+DPRK|DPRK|the\s+Democratic\s+People\W?s\s+Republic\s+of\s+Korea)\b
    |,\s+(?:most|all|nearly\s+all|almost\s+all|many)\s+of\s+them\s+(?:North\s+Korean\w*|from\s+North\s+Korea)\b,?)?
    (?P<verb>\s+(?:who\s+|that\s+)?(?:(?:have|had|has)\s+(?:been\s+)?|still\s+|also\s+)?(?:{_WORK_VERBS})\b)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# 'N of them North Korean', 'N of them in the country'; 'N were North Korean', 'N come from North Korea'.
_OF_THEM = re.compile(
    rf"(?P<number>{NUMBER})\s+of\s+(?:them|those|these)\b(?=,?\s+(?:(?:are|were)\s+)?North\s+Korean"
    rf"|,?\s+(?:(?:are|were|come|came)\s+)?from\s+(?:North\s+Korea|the\s+DPRK)\b"
    rf"|\s+(?:(?:are|were)\s+)?(?:still\s+)?in\s+the\s+country\b|\s+(?:(?:are|were)\s+)?in\s+(?:the\s+)?(?-i:[A-Z])"
    rf"|\s+(?:{_WORK_VERBS})\b"
    # ... 'about 40 of them are rebuilding the stadium': a part at work on something named after the verb.
    rf"|\s+(?:are|were)\s+(?:now\s+|still\s+|also\s+)?(?:{_AT_WORK_ON})\b)",
    re.IGNORECASE,
)
# '... were North Korean', '... come from North Korea': what makes a count the North Korean share.
_ARE_NORTH_KOREAN = r"\b(?:were|are|was|is|come|came)\s+(?:from\s+)?(?:North\s+Korea|the\s+DPRK|DPRK)\w*\b"
_SHARE_OF = re.compile(
    rf"(?P<number>{NUMBER})\s+of\s+(?:the|its|their)\s+(?:[\w\u2019']+\s+)?{NUMBER}\b[^.;]{{0,60}}?"
    rf"{_ARE_NORTH_KOREAN}",
    re.IGNORECASE,
)
_SHARE = re.compile(
    rf"(?P<number>{NUMBER})(?P<post>-odd|\+|\s+or\s+so)?\s+{_ARE_NORTH_KOREAN}", re.IGNORECASE
)
# 'the 45-strong crew of North Korean builders'; 'they number some 60'; 'about 300 are there today'.
_STRONG = re.compile(
    rf"(?P<number>{NUMBER})-strong\s+(?:[\w-]+\s+){{0,2}}?(?:crew|team|workforce|brigade|contingent|group|staff)\b",
    re.IGNORECASE,
)
_THEY_NUMBER = re.compile(
    rf"\b(?:they|who|which|the\s+workers|the\s+North\s+Koreans)\s+(?:now\s+)?number(?:ed)?\s+(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
_THERE_WERE = re.compile(
    rf"\b(?:there\s+(?:were|are|was|used\s+to\s+be|had\s+been|have\s+been)\s+(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})\s+of\s+(?:them|us)\b"
    rf"|\bwe\s+were\s+(?:(?:{HEDGES})\s+)?(?P<number2>{NUMBER})\b(?!\s+(?:{UNITS_AFTER})\b))",
    re.IGNORECASE,
)
# 'The first two dozen arrived in 1998; now there are close to 400': a bare count closing its clause, in a
# paragraph about workers (the binding is the context's).
_THERE_ARE_NOW = re.compile(
    rf"\b(?:now|today)\s+there\s+are\s+(?:(?:{HEDGES}|close\s+to)\s+)?(?P<number>{NUMBER})(?=\s*(?:[.;]|$))"
    rf"|\bthere\s+are\s+now\s+(?:(?:{HEDGES}|close\s+to)\s+)?(?P<number2>{NUMBER})(?=\s*(?:[.;]|$))",
    re.IGNORECASE | re.MULTILINE,
)
# An estimate of the North Korean workforce: 'estimated the North Korean workforce at about 90', 'put the
# number of DPRK workers in the region at 3,000'; and 'put it at 4,000 to 5,000' after a sentence on it.
_ESTIMATED_AT = re.compile(
    rf"\b(?:estimated?|estimates|put|puts|putting|placed?|places)\s+(?:the\s+)?(?:(?:North\s+Korean|DPRK)\s+)"
    rf"(?:workforce|labou?r\s+force|headcount|contingent|presence)\s+at\s+(?:(?:{HEDGES}|between)\s+)?"
    rf"(?:{NUMBER}\s*(?:-|\u2013|to|and)\s*)?(?P<number>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)"
    # ... and 'put the total number of North Koreans working in the country at between 300 and 500'.
    rf"|\b(?:estimated?|estimates|put|puts|putting|placed?|places)\s+the\s+(?:total\s+|overall\s+)?number\s+of\s+"
    rf"(?:[\w-]+\s+){{0,2}}?(?:North\s+Koreans?|DPRK)\b[^.;]{{0,60}}?\s+at\s+(?:(?:{HEDGES}|between)\s+)?"
    rf"(?:{NUMBER}\s*(?:-|\u2013|to|and)\s*)?(?P<number2>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
_PUT_IT_AT = re.compile(
    rf"\b(?:put|puts|putting|estimated?|estimates|place[sd]?)\s+(?:it|them|the\s+(?:figure|number|total|count))"
    rf"\s+at\s+(?:(?:{HEDGES}|between)\s+)?"
    rf"(?:{NUMBER}\s*(?:-|\u2013|to|and)\s*)?(?P<number>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
# 'A smaller workshop in Hronov had 44 of them': a workplace's share of the workers the text speaks of.
_HAD_OF_THEM = re.compile(
    rf"\b(?:had|has|have|employed|employs|employ|housed|took|takes|hired|hires)\s+(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})\s+of\s+(?:them|these|those)\b",
    re.IGNORECASE,
)
# 'At the peak, the country hosted some 1,500': a country's count, the workers being the paragraph's.
_COUNTRY_HOSTED = re.compile(
    rf"\bthe\s+(?:country|kingdom|emirate|sultanate|republic)\s+(?:then\s+|still\s+|once\s+)?"
    rf"(?:hosted|hosts|housed|had|employed|received)\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})(?=\s*[,.;])",
    re.IGNORECASE,
)
# 'its first North Korean seamstresses, 48 in all, in 2014': a count set after its noun.
_IN_ALL = re.compile(
    rf"\b(?:{WORKERS}|North\s+Koreans)\b,\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\s+"
    rf"(?:in\s+all|in\s+total|all\s+told|altogether)\b",
    re.IGNORECASE,
)
# A sentence that opens on a count and says its people work somewhere: 'Fewer than 20 work at a farm near
# Artyom.' The paragraph must speak of workers (the binding is the context's).
_OPENS_WORKING = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=[.!?]\u201d\s)|(?<=\n))(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\s+"
    rf"(?:(?:still|now|also|currently)\s+)?(?:work|worked|are\s+employed|were\s+employed|are\s+working"
    rf"|were\s+working|toil|labour|labor)\s+(?:at|in|on|for|near)\b",
    re.IGNORECASE | re.MULTILINE,
)
# An interview's answer to a question on how many work: 'How many of you work on the school?' / 'Nineteen,
# if you count the cook.' The answer opens the line after the question (a speaker's label may head it); the
# question counts people ('How many hours do you work?' does not).
_ANSWER = re.compile(
    rf"\bhow\s+many\s+(?:of\s+(?:you|them|us|your\s+\w+)|(?:[\w-]+\s+){{0,2}}?(?:{WORKERS}|people|men|women"
    rf"|North\s+Koreans|Koreans))\b[^?\n]{{0,80}}?\b(?:work|works|working|employed|labou?r\w*)\b"
    rf"[^?\n]{{0,60}}\?[ \t]*\n"
    rf"(?:[ \t]*\n)?[ \t]*(?:[A-Z][\w. ]{{0,20}}:[ \t]*)?(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\b"
    rf"(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
# 'Of those, about 120 were at the port of Sohar': a part of a North Korean workforce, placed.
_OF_THOSE_AT = re.compile(
    rf"\bOf\s+(?:those|them|these)(?:\s+[\w-]+){{0,2}}?,\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\s+"
    rf"(?:were|are|worked|work)\s+(?:at|in|on)\b",
    re.IGNORECASE,
)
# Words that put a figure on a whole country ('around 400 nationwide'); `api.extract.locate` reads them too.
WHOLE_COUNTRY = r"nationwide|countrywide|across\s+the\s+country|in\s+the\s+whole\s+country"
_NATIONWIDE = re.compile(rf"(?P<number>{NUMBER})\s+(?=(?:{WHOLE_COUNTRY})\b)", re.IGNORECASE)
_THERE = re.compile(
    rf"(?P<number>{NUMBER})\s+(?:(?:still|already|now|also)\s+)?(?:are|were|remain|remained|work|worked|live|lived)"
    rf"\s+(?:(?:still|already|now|also)\s+)?there\b",
    re.IGNORECASE,
)
# A share given as a part: 'Half of the plant's 400 employees are North Korean', '30 percent of its 400
# workers are North Korean'.
_PART_OF = re.compile(
    rf"\b(?P<part>half|a\s+third|one\s+third|a\s+quarter|one\s+quarter|two\s+thirds|three\s+quarters|a\s+fifth"
    rf"|\d{{1,2}}(?:\.\d+)?\s*(?:%|percent|per\s+cent)|(?:{WORDS})\s+(?:percent|per\s+cent))\s+of\s+(?:the|its|their)\s+(?:[\w\u2019']+\s+)?(?:[\w-]+(?:\u2019s|'s)\s+)?"
    rf"(?P<number>{NUMBER})\s+(?:[\w-]+\s+){{0,2}}?(?:{WORKERS}|people)\b[^.;]{{0,40}}?"
    rf"\b(?:are|were|come\s+from|came\s+from)\s+(?:from\s+)?(?:North\s+Korea|the\s+DPRK)\w*",
    re.IGNORECASE,
)
_PARTS = {
    "half": 0.5,
    "third": 1 / 3,
    "quarter": 0.25,
    "two thirds": 2 / 3,
    "three quarters": 0.75,
    "fifth": 0.2,
}
# A figure in brackets after its place: 'in the Moscow region (200 to 250)', 'in Ulaanbaatar (about 150)'.
_BRACKETED = re.compile(
    rf"\(\s*(?:(?:{HEDGES})\s+)?(?:{NUMBER}\s*(?:-|\u2013|to)\s*)?(?P<number>{NUMBER})\s*\)", re.IGNORECASE
)
# A bare number placed by what follows: '40 in Gdansk and 25 in Szczecin', 'about 2,000 in Kuwait'.
_PLACED = re.compile(
    r"(?<!\bberth\s)(?<!\bNo\.\s)(?<!\bno\.\s)(?<!\broom\s)(?<!\bgate\s)(?<!\bpier\s)(?<!\bpage\s)"
    r"(?<!\bplot\s)(?<!\bflat\s)(?<!\bblock\s)(?<!\bunit\s)(?<!\bhall\s)(?<!\broute\s)(?<!\bzone\s)"
    # ... and 'about 1,500 are still in the Emirates', 'some 300 remain in Laos'.
    rf"(?P<number>{NUMBER})(?=\s+(?:(?:are|were|remain|remained)\s+(?:still\s+|now\s+)?)?(?:in|at)\s+(?:the\s+)?(?-i:[A-Z]))",
    re.IGNORECASE,
)
_SENT = re.compile(
    rf"(?P<number>{NUMBER})\s+(?:were|was|have\s+been|has\s+been|had\s+been|are|are\s+being|were\s+being)\s+"
    rf"(?:(?:currently|now|still|also|legally|officially)\s+)?(?:sent|dispatched|deployed|brought|hired|recruited|employed|working|registered|supplied"
    rf"|(?:believed|thought|said|reported|understood|estimated|known)\s+to\s+(?:be\s+)?(?:working|employed|engaged"
    rf"|work|live|living|based|there))\b"
    rf"(?!\s+(?:home|back)\b)",
    re.IGNORECASE,
)
# A line of a list by place: 'Primorsky Krai: about 1,200', 'Namibia \u2014 no fewer than 40, on housing
# projects', 'Sakhalin: 300-350'. The place is the line's head; the number follows a colon or a dash.
_LINE = re.compile(
    rf"^[ \t]*(?:[-*\u2022][ \t]+)?(?P<head>(?-i:[A-Z])[^\n:\u2014\u2013\d]{{1,60}}?)[ \t]*"
    rf"(?:\([^)\n]*\))?[ \t]*"
    rf"(?::|[\u2014\u2013]|[ \t]-)[ \t]*(?:(?:19|20)\d\d:[ \t]*)?(?:(?:{HEDGES})[ \t]+)?(?:between[ \t]+)?"
    rf"(?:{NUMBER}[ \t]*(?:-|\u2013|to|and)[ \t]*)?(?P<number>{NUMBER})(?![-%\d]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE | re.MULTILINE,
)
# Further figures of such a line, each after its year: 'Vladivostok \u2014 2024: 1,200 \u2014 2026: 2,000'.
_LINE_MORE = re.compile(
    rf"[\u2014\u2013;|][ \t]*(?:19|20)\d\d:[ \t]*(?:(?:{HEDGES})[ \t]+)?"
    rf"(?:{NUMBER}[ \t]*(?:-|\u2013|to)[ \t]*)?"
    rf"(?P<number>{NUMBER})(?![-%\d]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
# 'POLICE, Poland - A dozen of the welders...': a dateline, whose dash is no list line's.
_DATELINE_HEAD = re.compile(r"[A-Z]{2,}[A-Z .\u2019'-]*(?:,|\(|$)")
# A list line's head names a place, not a sentence ('Student visas issued by Russia, 2025: 13,221').
MAX_HEAD_LOWERCASE_WORDS = 2
# A bare number compared with a figure before it in the same sentence: 'up from an estimated 150 in 2021'.
_COMPARED = re.compile(
    rf"(?:\b(?:up|down)\s+from\s+(?:a\s+(?:peak|high|record|low)\s+of\s+)?|\b(?:after\s+|since\s+)?(?:peaking"
    rf"|having\s+peaked|(?:since|after|when)\s+(?:it|they|the\s+number)\s+(?:had\s+)?peaked)\s+at\s+)(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})(?!\s*(?:%|percent))",
    re.IGNORECASE,
)
# ... and 'had risen to 2,300 by August, from 1,100 a year earlier'.
_COMPARED_THEN = re.compile(
    rf"\b(?:from|compared\s+with|against)\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})(?=\s+(?:a\s+year\s+"
    rf"(?:earlier|before|ago)|the\s+year\s+before|last\s+year|earlier|in\s+(?:19|20)\d\d)\b)",
    re.IGNORECASE,
)
# ... and 'peaked at 2,410 in 2014 and stood at 1,060 last month': the same count at another time.
_AND_STOOD = re.compile(
    rf"\b(?:peaked|stood|stands|was|reached|totall?ed)\s+at\s+(?:(?:{HEDGES})\s+)?{NUMBER}[^.;]{{0,40}}?"
    rf"(?:\band|,)\s+(?:now\s+)?"
    rf"(?:(?:has|had)\s+)?(?:stood\s+at|stands\s+at|(?:fell|fallen|dropped|declined|rose|risen|grew|grown)\s+to)"
    rf"\s+(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
_STAFF = re.compile(
    rf"\b(?:(?:work\s*force|labou?r\s+force|staff|headcount)\s+of|employs|employed|employing)"
    rf"\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
# 'the number of North Korean workers at the site has risen to 150'; 'North Korean workers, numbering 200'.
_NUMBER_OF = re.compile(
    rf"\bnumber\s+of\s+(?:[\w-]+\s+){{0,3}}?(?:{WORKERS}|North\s+Koreans)\b[^.;]{{0,60}}?\b(?:is|was|stands\s+at"
    rf"|stood\s+at|(?:has\s+)?reached|(?:has\s+)?(?:rose|risen|grew|grown|fell|fallen|dropped)\s+to"
    rf"|(?:had\s+)?peaked\s+at|(?:had\s+)?topped\s+out\s+at)"
    rf"\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
_NUMBERING = re.compile(
    rf"\b(?:{WORKERS}|crews?|teams?|brigades?|groups?|contingents?|North\s+Koreans)\b,?\s+(?:numbering|totall?ing|estimated\s+at)\s+"
    rf"(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})(?![-%]|\s+(?:{UNITS_AFTER})\b)",
    re.IGNORECASE,
)
# Counts of people who no longer work there: 'died', 'were arrested', 'were sent home', 'defected'.
_GONE_AFTER = re.compile(
    r"^\s*(?:(?:at|in|on|from)\s+(?:the\s+|a\s+|its\s+)?[\w-]+\s+)?(?:[\w-]+\s+){0,2}?(?:have\s+|had\s+|has\s+|were\s+|was\s+|been\s+|have\s+been\s+|had\s+been\s+)*"
    r"(?:died|killed|arrested|detained|questioned|interrogated|deported|repatriated|sent\s+(?:home|back)|fled"
    r"|defected|escaped|dismissed|fired|murdered|abducted|kidnapped|jailed|imprisoned|convicted|sentenced"
    r"|indicted|charged|fined|(?:forced|ordered|told|made)\s+to\s+(?:return|leave|go\s+home)"
    r"|(?:flown|flew|went|gone|returned)\s+(?:home|back)|returned\s+to\s+North\s+Korea"
    r"|(?:seeking|trying|attempting|hoping|planning|wanting|waiting)\s+to\s+(?:defect|flee|escape|leave|go\s+home)"
    r"|(?:awaiting|await|awaited|facing|face|faced|pending)\s+(?:their\s+)?(?:deportation|repatriation|expulsion|trial))\b",
    re.IGNORECASE,
)
# ... 'all young women from Pyongyang': the capital as the people's origin says they are North Korean.
_KOREAN = re.compile(r"North\s+Korea|DPRK|\bKoreans?\b|\bfrom\s+Pyongyang\b", re.IGNORECASE)
_HEDGE_BEFORE = re.compile(rf"(?:\b(?:{HEDGES})\s+|~\s*)$", re.IGNORECASE)
_RANGE_BEFORE = re.compile(
    rf"(?:\bbetween\s+(?P<low1>{NUMBER})\s+and\s+|(?P<low2>{NUMBER})\s*(?:-|\u2013|\u2014|\bto\b|\bor\b"
    rf"|,\s*(?:perhaps|maybe|possibly|or\s+even))\s*)$",
    re.IGNORECASE,
)
_RANGE_AFTER = re.compile(rf"\s*(?:-|\u2013|\bto\b|\bor\b)\s*(?!(?:19|20)\d\d\b){NUMBER}", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d\d")  # 'in 2019 workers were sent home' counts no one
_LOOK_BACK = 60
# Smaller counts are people an article mentions ('one woman', 'two former workers'), not a workforce.
MIN_WORKFORCE = 3
# Numbers that are not a workforce, told by the words of their sentence. (What a ministry or an office
# 'counted' is its register, not a sighting: 'the labour ministry counted 1,214 North Koreans employed'.)
_SIGHTING = re.compile(
    r"\b(?:(?:could|can|be|were|was|been)\s+seen|(?:had|have|has)\s+seen|saw|could\s+see|can\s+see|spotted"
    r"|glimpsed|visible|counted)\b",
    re.IGNORECASE,
)
# ... but what an institution 'counted' is its register: 'the labour ministry counted 1,214 North Koreans',
# 'the Public Authority for Manpower counted 1,870'. (A reporter, a guard or a witness who counted saw them.)
_INSTITUTION_COUNTED = re.compile(
    r"\b(?:ministry|office|service|authority|authorities|agency|bureau|department|inspectorate|government"
    r"|census|registry|register|commission|committee|council|administration|statistics|manpower|police)\b"
    r"[^.;]{0,40}?\bcounted\s+[^.;]{0,20}$",
    re.IGNORECASE,
)
# The people a report's authors spoke to: 'interviewed 41 workers', 'spoke with a dozen of them'. The verb
# governs the number (a few words at most before it), unlike 'said in an interview that 12,000 ...'.
_INTERVIEW = re.compile(
    r"\b(?:interview\w*|spoke\s+(?:to|with)|talked\s+(?:to|with)|surveyed)\s+"
    r"(?:(?!(?:that|who|which|there)\b)[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
# The make-up of a group, item by item: 'the crew includes three sculptors, a welder and a doctor'.
_MEMBERS_BEFORE = re.compile(
    r"\b(?:includes?|included|including|comprises?|comprised|consists?\s+of|consisted\s+of)\s+[\"\u201c]?$",
    re.IGNORECASE,
)
_MEMBERS_AFTER = re.compile(
    rf"[\"\u201d]?\s*,\s+(?:an?|one|{WORDS}|\d+)\s+[\w-]+(?:\s+[\w-]+)?\s*(?:,|\band\b)", re.IGNORECASE
)
_WORLDWIDE = re.compile(
    r"^[^.;,]{0,30}?\b(?:abroad|worldwide|overseas|around\s+the\s+world)\b", re.IGNORECASE
)
# People of other nations: 'three Russian employees', 'the plant's 150 foreign workers'.
OTHER_NATIONS = (
    r"Russian|Chinese|Polish|Mongolian|Malaysian|Qatari|Angolan|Kuwaiti|Emirati|Lao|Laotian|Cambodian"
    r"|Vietnamese|Uzbek|Tajik|Kyrgyz|Kazakh|Nepali|Indian|Bangladeshi|Filipino|Thai|South\s+Korean|local"
    r"|foreign|former"
)
_OTHER_NATIONS = re.compile(rf"\b(?:{OTHER_NATIONS})\b", re.IGNORECASE)
# A capitalized word before the noun, other than these, names another nation or a firm ('14 Nigerian
# labourers', '60 Hyundai workers'): not the North Koreans a report counts.
_KOREAN_WORDS = re.compile(r"\b(?:North|Korean|Koreans|DPRK|IT)\b")
_NAMED_OTHERS = re.compile(r"\b[A-Z]")
_WORLDWIDE_BEFORE = re.compile(r"\b(?:worldwide|global|globally)\b[^.;]{0,30}$", re.IGNORECASE)
_ALL_NATIONALITIES = re.compile(
    rf"^\s*(?:\w+\s+){{0,3}}?(?:(?:came|come|are|were)\s+from\s+\w+\s+(?:countries|nations|nationalities)"
    rf"|of\s+all\s+nationalities)|^[^.;,]{{0,20}}?,\s+all\s+of\s+them\s+(?:{OTHER_NATIONS}|from\s+(?!North\s+Korea))"
    rf"|^[^.;]{{0,40}}?,\s+(?:of\s+whom\s+)?{NUMBER}\s+(?:of\s+(?:them|those|these)\b|(?:are|were)\s+North)|^[^.]*?[.!?]\s+Of\s+(?:those|them|these)\b",
    re.IGNORECASE,
)
# 'Of the 300 staff at the yard, 42 are North Korean': the whole, whose share the sentence goes on to give.
# ... and '10 percent of the 500 workers', 'most of the 500 workers': a whole, not the North Koreans in it.
_WHOLE_BEFORE_SHARE = re.compile(
    rf"(?:(?:^|\s[\u2014\u2013-]+\s)Of|\b(?:percent|per\s+cent|half|a\s+third|a\s+quarter|a\s+fifth|most|many|none|all|among)"
    rf"|%|\b{NUMBER})\s+(?:of\s+)?(?:the|its|their|a|an)\s+(?:[\w\u2019']+\s+)?(?:[\w-]+(?:\u2019s|'s)\s+)?(?:(?:{HEDGES})\s+)?$",
    re.IGNORECASE,
)
# A whole of things or of other people that a sentence goes on to split: 'Of the 20 firms that hire them'.
_OTHER_WHOLE = re.compile(
    rf"\bOf\s+(?:the|its|their)\s+(?:[\w-]+\s+)?{NUMBER}\s+"
    rf"(?!(?:[\w-]+\s+){{0,2}}?(?:{WORKERS}|people|men|women|North\s+Koreans|Koreans|DPRK)\b)[\w-]+",
    re.IGNORECASE,
)
_COUNTED_NOUN = re.compile(rf"\s+(?:[\w-]+\s+){{0,3}}?(?:{WORKERS}|people|men|women)\b", re.IGNORECASE)
_PLACED_WHOLE = re.compile(
    r"(?:\s+(?:now|currently|still)\s+(?:working|employed|living))?\s+(?:in|at)\s+(?:the\s+)?(?-i:[A-Z])[^,;.]{0,40},",
    re.IGNORECASE,
)
_WORKER_CONTEXT = re.compile(rf"\b(?:{WORKERS}|North\s+Koreans?)\b", re.IGNORECASE)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# A report that hedges all its figures at once: 'All figures are the institute's estimates'.
_ALL_ESTIMATES = re.compile(
    r"\b(?:(?:all|these|the)\s+)?(?:the\s+)?(?:figures|numbers)(?:\s+(?:in|of)\s+(?:this|the)\s+\w+)?\s+(?:are|were)\s+"
    r"(?:[\w\u2019'-]+\s+){0,3}?(?:estimates|estimated|approximate|approximations|rounded)\b",
    re.IGNORECASE,
)


class Binding(StrEnum):
    """What makes a number a worker figure, and so what it still needs to be proposed."""

    noun = "noun"  # a people noun or a share of North Koreans: a figure wherever it is
    place = "place"  # a bare number followed by 'in <place>': a figure only if a place follows it
    comparison = "comparison"  # 'up from 150': a figure only after another figure of its sentence
    line = "line"  # 'Sakhalin: 300-350': a figure only if its line starts with a place
    bracketed = "bracketed"  # 'in Ulaanbaatar (about 150)': a figure only if a place stands before it
    context = "context"  # 'the remaining 130', 'a 24-member team': a figure in a paragraph about workers
    trailing = "trailing"  # 'in the Irkutsk region as a whole, perhaps 600': placed by the place before it


@dataclass(frozen=True)
class WorkerFigure:
    """A worker count the text states: `text[start:end]` is the phrase to quote."""

    start: int
    end: int
    number_start: int
    value: int  # for a range, its low end
    approximate: bool
    high: int | None = None  # the high end of a range
    binding: Binding = Binding.noun


def _hedged_start(text: str, start: int) -> tuple[int, bool]:
    """Move `start` back over a hedge ('about', 'some', 'more than'...) and say whether there was one."""
    before = text[max(0, start - _LOOK_BACK) : start]
    hedge = _HEDGE_BEFORE.search(before)
    if hedge is None:
        return start, False
    return start - len(before) + hedge.start(), True


def _figure(
    text: str, start: int, number: str, end: int, approximate: bool, binding: Binding = Binding.noun
) -> WorkerFigure | None:
    value = parse_number(number)
    if (
        value is None
        or value <= 0
        or _YEAR.fullmatch(number)
        or _RANGE_AFTER.match(text, start + len(number))
    ):
        return None  # the low end of a range ('some thirty to forty'): the range's own figure is its high end
    number_start = start
    high: int | None = None
    before = text[max(0, start - _LOOK_BACK) : start]
    span = _RANGE_BEFORE.search(before)
    if span is not None:
        low = parse_number(span.group("low1") or span.group("low2"))
        if low is not None and low < value:
            start = start - len(before) + span.start()
            value, high, approximate = low, value, True
    start, hedged = _hedged_start(text, start)
    approximate = approximate or hedged or bool(re.search(r"dozen|score", number, re.IGNORECASE))
    return WorkerFigure(start, end, number_start, value, approximate, high, binding)


_QUOTE_WORDS = re.compile(r"(?:[ \t]+[\w\u2019'-]+){0,3}")


def figure_at(text: str, match: re.Match[str]) -> WorkerFigure | None:
    """A number of the text as a possible figure, whatever follows it: its hedge, its range, three words on.

    The learned scorer (`api.extract.learned`) reads every number this way; None for a year, a range's
    low end (its figure is the high end's) or a number that is not a whole one.
    """
    words = _QUOTE_WORDS.match(text, match.end())
    return _figure(text, match.start(), match.group(), words.end() if words else match.end(), False)


def _not_a_workforce(
    text: str, figure: WorkerFigure, sentence: Span, modifiers: str, *, north_korean: bool = False
) -> bool:
    """Numbers of people seen, interviewed, counted worldwide or of all nationalities, and tiny counts.

    A whole that its own words call North Korean ('dismissed 64 of its 150 North Korean workers', '400
    North Koreans worked in Oman. Of those, ...') is the workforce, not a total of every nationality.
    """
    if figure.value < MIN_WORKFORCE:
        return True
    before = text[sentence[0] : figure.start]
    around = text[max(sentence[0], figure.start - _LOOK_BACK) : min(sentence[1], figure.end + 30)]
    interviewed = _INTERVIEW.search(text[max(sentence[0], figure.start - _LOOK_BACK) : figure.start])
    whole = _WHOLE_BEFORE_SHARE.search(before)
    # 'Of the 300 North Koreans who arrived, fewer than 100 went to Khabarovsk' splits the whole; '64 of its
    # 150 North Korean workers' names a part of a North Korean workforce, the 150.
    part_first = whole is not None and re.match(rf"\s*{NUMBER}\s", whole.group(), re.IGNORECASE)
    # 'Of the 150 North Korean workers in Sarawak, 120 have overstayed...': a North Korean whole placed in
    # a town or a region is its workforce there, whatever part the sentence goes on to single out.
    placed_whole = north_korean and _PLACED_WHOLE.match(text, figure.end, sentence[1])
    sighting = _SIGHTING.search(around)
    if sighting is not None and sighting.group().lower() == "counted":
        sighting = None if _INSTITUTION_COUNTED.search(text, sentence[0], figure.start) else sighting
    if sighting or interviewed or (whole and not (north_korean and part_first) and not placed_whole):
        return True
    after = text[figure.end : sentence[1] + 60]
    if _MEMBERS_BEFORE.search(before) and _MEMBERS_AFTER.match(after):
        return True  # 'the crew includes "three sculptors, a welder, two drivers"': who a group counted is
    if _WORLDWIDE.search(after) or _GONE_AFTER.search(after) or _WORLDWIDE_BEFORE.search(before):
        return True
    korean = re.search(r"North\s+Korean", modifiers, re.IGNORECASE)
    if not (korean or north_korean) and _from_another_country(text, figure.end):
        return True  # 'roughly 400 builders from Uzbekistan' (not 'North Korean welders from Mongolia')

    others = _OTHER_NATIONS.search(modifiers) or _NAMED_OTHERS.search(_KOREAN_WORDS.sub("", modifiers))
    return bool((others and not korean) or (_ALL_NATIONALITIES.search(after) and not north_korean))


def _others_counted(text: str, end: int, sentence: Span) -> bool:
    """Tell whether the noun after an 'employs N' counts people other than North Koreans.

    'employs some 40 workers from Kyrgyzstan' counts others; 'The yard employs about 3,200 people' in a
    sentence that names no North Korean is the whole site; 'has a staff of about 30 people, nearly all of
    them North Korean women' is the North Korean workforce.
    """
    noun = _COUNTED_NOUN.match(text, end)
    if noun is None:
        return False
    return _from_another_country(text, noun.end()) or not _KOREAN.search(text, *sentence)


_FROM_A_COUNTRY = re.compile(r"\s+from\s+(?:the\s+)?(?P<name>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,2})")


def _from_another_country(text: str, end: int) -> bool:
    """Tell whether the counted people come from a country other than North Korea ('builders from Nepal')."""
    match = _FROM_A_COUNTRY.match(text, end)
    if match is None:
        return False
    countries = gazetteer().countries
    words = match.group("name").split()
    names = [" ".join(words[:count]) for count in range(len(words), 0, -1)]
    code = next((countries[name] for name in names if name in countries), None)
    return code is not None and code != "KP"


def _noun_figures(text: str, sentences: list[Span]) -> Iterable[tuple[re.Match[str], WorkerFigure, str]]:
    for match in _FIGURE.finditer(text):
        modifiers = match.group("modifiers") or ""
        if _BLANK_LINE.search(match.group(), match.end("number") - match.start()):
            continue  # a number ending one paragraph does not count the people the next one starts with
        if match.group("people"):
            before = text[max(0, match.start() - _LOOK_BACK) : match.start()]
            korean = re.search(r"North\s+Korean|DPRK", modifiers, re.IGNORECASE) or match.group("origin")
            working = (
                match.group("verb") or _EMPLOYING.search(before) or _AT_WORK_NOW.match(text, match.end())
            )
            # '300 women' may be anyone; '300 North Korean women', and '300 women work' in a sentence
            # about North Koreans, are workers.
            if _PEOPLE_AT_WORK_ONLY.fullmatch(match.group("people")):
                korean = None
            # ('27 citizens of the Democratic People's Republic of Korea were found working' says where from.)
            from_north_korea = match.group("origin") or _KOREAN.search(
                text, *span_at(sentences, match.start())
            )
            if not (korean or (working and from_north_korea)):
                continue
        figure = _figure(text, match.start(), match.group("number"), match.end(), bool(match.group("post")))
        if figure is not None:
            yield match, figure, modifiers


def _bare_figures(text: str) -> Iterable[tuple[re.Match[str], WorkerFigure, str]]:
    patterns = (
        (_OF_THEM, Binding.noun),
        (_SHARE, Binding.noun),
        (_SHARE_OF, Binding.noun),
        (_SENT, Binding.noun),
        (_NUMBER_OF, Binding.noun),
        (_NUMBERING, Binding.noun),
        (_STRONG, Binding.noun),
        (_THEY_NUMBER, Binding.noun),
        (_THERE, Binding.noun),
        (_NATIONWIDE, Binding.noun),
        (_THERE_WERE, Binding.noun),
        (_IN_ALL, Binding.noun),
        (_ESTIMATED_AT, Binding.noun),
        (_PUT_IT_AT, Binding.context),
        (_HAD_OF_THEM, Binding.context),
        (_COUNTRY_HOSTED, Binding.context),
        (_BRACKETED, Binding.bracketed),
        (_OPENS_WORKING, Binding.context),
        (_THERE_ARE_NOW, Binding.context),
        (_OF_THOSE_AT, Binding.context),
        (_ANSWER, Binding.context),
        (_AND_STOOD, Binding.comparison),  # before _PLACED: 'stood at 800 in March' names no place
    )
    compared = ((_COMPARED, Binding.comparison), (_COMPARED_THEN, Binding.comparison))
    lines = ((_LINE, Binding.line), (_LINE_MORE, Binding.line))
    for pattern, binding in (*patterns, (_PLACED, Binding.place), *lines, *compared):
        for match in pattern.finditer(text):
            end = match.end() if pattern is not _PLACED else match.end("number")
            group = "number" if match.group("number") is not None else "number2"
            if pattern is _LINE and (
                len(re.findall(r"\b[a-z]\w*", match.group("head"))) > MAX_HEAD_LOWERCASE_WORDS
                or (_DATELINE_HEAD.match(match.group("head")) and ":" not in match.group())
            ):
                continue
            hedged = bool(match.groupdict().get("post"))  # 'forty-odd are North Korean'
            figure = _figure(text, match.start(group), match.group(group), end, hedged, binding)
            if figure is not None and pattern in (
                _NUMBER_OF,
                _NUMBERING,
                _LINE,
                _THEY_NUMBER,
                _STRONG,
                _IN_ALL,
                _ESTIMATED_AT,
                _PUT_IT_AT,
            ):
                figure = WorkerFigure(min(figure.start, match.start()), *_fields_after_start(figure))
            if figure is not None:
                yield match, figure, ""
    for pattern in GROUP_PATTERNS:
        for match in pattern.finditer(text):
            post = match.groupdict().get("post")
            figure = _figure(text, match.start("number"), match.group("number"), match.end(), bool(post))
            if figure is not None:
                start = min(figure.start, match.start()) if pattern in QUOTED_FROM_START else figure.start
                yield match, WorkerFigure(start, figure.end, *_fields_after_end(figure, Binding.context)), ""
    for match in TRAILING.finditer(text):
        figure = _figure(text, match.start("number"), match.group("number"), match.end("number"), False)
        if figure is not None:
            yield match, replace(figure, binding=Binding.trailing), ""
    for match in table_rows(text):
        figure = _figure(text, match.start("number"), match.group("number"), match.end(), False)
        if figure is not None:  # a table row: its whole line is the quote
            yield match, replace(figure, start=match.start(), binding=Binding.context), ""
    for match in _PART_OF.finditer(text):
        figure = _figure(text, match.start("number"), match.group("number"), match.end(), True)
        if figure is not None:
            value = _part(match, figure.value)
            yield match, WorkerFigure(match.start(), match.end(), figure.number_start, value, True), ""
    for match in _STAFF.finditer(text):
        figure = _figure(text, match.start("number"), match.group("number"), match.end("number"), False)
        if figure is not None:
            yield match, WorkerFigure(match.start(), *_fields_after_start(figure)), ""


def _part(match: re.Match[str], whole: int) -> int:
    """The North Korean part of a whole: 'half of the 400' is 200, '30 percent of the 400' is 120."""
    part = " ".join(match.group("part").lower().split())
    share = re.match(r"[\d.]+", part)
    words = re.match(r"(.+?)\s+(?:percent|per\s+cent)$", part)  # 'sixty percent'
    if share:
        fraction = float(share.group()) / 100
    elif words:
        fraction = (parse_number(words.group(1)) or 0) / 100
    else:
        fraction = _PARTS[re.sub(r"^(?:a|one)\s+", "", part)]
    return round(whole * fraction)


def _fields_after_end(figure: WorkerFigure, binding: Binding) -> tuple[int, int, bool, int | None, Binding]:
    return figure.number_start, figure.value, figure.approximate, figure.high, binding


def _fields_after_start(figure: WorkerFigure) -> tuple[int, int, int, bool, int | None, Binding]:
    return figure.end, figure.number_start, figure.value, figure.approximate, figure.high, figure.binding


def find_worker_figures(text: str) -> list[WorkerFigure]:
    """Every worker count phrase in the text, in text order, one per number.

    A number counts workers when a people noun follows it ('about 70 workers', 'forty North Koreans',
    'some 60 women from North Korea work'), when it is the North Korean share of a group ('38 of them
    North Korean', 'Of those, 110 were North Korean'), or when a place follows a bare number in a text
    about workers ('40 in Gdansk'). People seen, interviewed, counted worldwide, of all nationalities or
    fewer than three are not a workforce.
    """
    sentences = sentence_spans(text)
    paragraphs = paragraph_spans(text)
    figures: dict[int, WorkerFigure] = {}
    for match, figure, modifiers in [*_noun_figures(text, sentences), *_bare_figures(text)]:
        if figure.number_start in figures:
            continue
        sentence = span_at(sentences, figure.number_start)
        north_korean = match.re is _FIGURE and bool(
            re.search(r"North\s+Korean|DPRK", modifiers, re.IGNORECASE)
            or re.match(r"North", match.group("koreans") or "", re.IGNORECASE)
            or match.group("origin")
        )
        if _not_a_workforce(text, figure, sentence, modifiers, north_korean=north_korean) or not_there_now(
            text, sentence, figure.start, figure.number_start, figure.end
        ):
            continue
        if figure.binding is not Binding.noun and not _about_workers(text, paragraphs, figure.number_start):
            continue
        if figure.binding is not Binding.noun and _OTHER_WHOLE.search(text, sentence[0], figure.start):
            continue  # 'Of the 20 firms that hire them, 12 are in Moscow': a whole that is no workforce

        if match.re is _STAFF and (
            not _KOREAN.search(text, *span_at(paragraphs, figure.number_start))
            or _others_counted(text, figure.end, sentence)
        ):
            # 'the yard employed 2,300' says nothing of North Koreans; and in 'employs some 40 workers from
            # Kyrgyzstan' the noun after the number tells who is counted (the noun rules decide).
            continue
        figures[figure.number_start] = figure
    ordered = [figures[key] for key in sorted(figures)]
    if _ALL_ESTIMATES.search(text):  # 'All figures are the institute's estimates': every one is hedged
        ordered = [replace(figure, approximate=True) for figure in ordered]
    return [
        figure
        for figure in ordered
        if figure.binding is not Binding.comparison or _after_one(text, figure, ordered, sentences)
    ]


# A sentence that goes on about the figure of the one before: 'The number has fallen since it peaked at ...'.
_ANAPHOR = re.compile(
    r"\s*(?:The|Their|That|This|Its)\s+(?:number|figure|total|count|headcount)\b", re.IGNORECASE
)


def _after_one(text: str, figure: WorkerFigure, figures: list[WorkerFigure], sentences: list[Span]) -> bool:
    """Tell whether a compared figure follows a workforce figure of its sentence.

    ... or of the sentence before, when its own opens on 'The number', 'That figure'.
    """
    sentence = span_at(sentences, figure.number_start)
    index = sentences.index(sentence) if sentence in sentences else 0
    begin = sentences[index - 1][0] if index and _ANAPHOR.match(text, sentence[0]) else sentence[0]
    return any(
        begin <= other.number_start < figure.number_start and other.binding is Binding.noun
        for other in figures
    )


def _about_workers(text: str, paragraphs: list[Span], position: int) -> bool:
    """Tell whether the paragraph holding `position`, the one before it, or the headline speaks of workers."""
    for index, (start, end) in enumerate(paragraphs):
        if start <= position < end:
            begin = paragraphs[index - 1][0] if index else start
            return bool(
                _WORKER_CONTEXT.search(text, begin, end) or _WORKER_CONTEXT.search(text, *paragraphs[0])
            )
    return False
