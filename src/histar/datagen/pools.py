"""Small embedded value pools: names, places, catalogue and marketing vocabulary (no Faker)."""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Irina", "Jamal",
    "Kate", "Liam", "Maria", "Noah", "Olga", "Pedro", "Qing", "Rosa", "Sami", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Chloe", "Diego",
    "Emma", "Felix", "Gita", "Hannah", "Ivan", "Julia", "Kenji", "Lena", "Mateo", "Nina",
    "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Ursula", "Victor", "Wanda", "Yara", "Zain",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Garcia", "Muller", "Rossi", "Kowalski", "Ivanova", "Tanaka", "Kim", "Nguyen",
    "Silva", "Dubois", "Jensen", "Novak", "Popescu", "Horvat", "Khan", "Patel", "Okafor",
    "Mensah", "Haddad", "Cohen", "Larsen", "Berg", "Costa", "Lopez", "Martin", "Brown",
    "Wilson", "Taylor", "Anderson", "Schmidt", "Fischer", "Weber", "Moreau", "Romano",
    "Yilmaz", "Sato", "Chen", "Wang", "Singh",
)  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com", "mail.com", "gmx.net",
)  # fmt: skip

REGIONS: tuple[str, ...] = (
    "North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa",
)  # fmt: skip

# (country, region index, cities, weight)
COUNTRIES: tuple[tuple[str, int, tuple[str, ...], float], ...] = (
    ("United States", 0, ("New York", "Austin", "Seattle", "Chicago"), 18.0),
    ("Canada", 0, ("Toronto", "Vancouver", "Montreal"), 4.0),
    ("Germany", 1, ("Berlin", "Munich", "Hamburg"), 7.0),
    ("France", 1, ("Paris", "Lyon", "Toulouse"), 5.0),
    ("United Kingdom", 1, ("London", "Manchester", "Edinburgh"), 7.0),
    ("Spain", 1, ("Madrid", "Barcelona", "Valencia"), 4.0),
    ("Poland", 1, ("Warsaw", "Krakow", "Gdansk"), 3.0),
    ("India", 2, ("Bengaluru", "Mumbai", "Delhi", "Pune"), 12.0),
    ("Japan", 2, ("Tokyo", "Osaka"), 4.0),
    ("Australia", 2, ("Sydney", "Melbourne"), 3.0),
    ("Singapore", 2, ("Singapore",), 1.5),
    ("Brazil", 3, ("Sao Paulo", "Rio de Janeiro", "Curitiba"), 6.0),
    ("Mexico", 3, ("Mexico City", "Guadalajara", "Monterrey"), 4.0),
    ("Argentina", 3, ("Buenos Aires", "Cordoba"), 2.0),
    ("Nigeria", 4, ("Lagos", "Abuja"), 3.0),
    ("Egypt", 4, ("Cairo", "Alexandria"), 2.5),
    ("United Arab Emirates", 4, ("Dubai", "Abu Dhabi"), 2.0),
    ("South Africa", 4, ("Johannesburg", "Cape Town"), 2.0),
)

# category -> subcategories (10 categories, 40 subcategories)
CATALOGUE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Programming", ("Python", "JavaScript", "Go", "Rust")),
    ("Data", ("SQL", "Data Analysis", "Machine Learning", "Data Engineering")),
    ("Design", ("UX Design", "Graphic Design", "Figma", "3D Modelling")),
    ("Business", ("Management", "Entrepreneurship", "Project Management", "Product Management")),
    ("Marketing", ("SEO", "Social Media Marketing", "Content Marketing", "Performance Marketing")),
    ("Finance", ("Accounting", "Investing", "Personal Finance", "Financial Modelling")),
    ("IT & Ops", ("Linux", "Cloud Computing", "Networking", "Cybersecurity")),
    ("Languages", ("English", "Spanish", "German", "Japanese")),
    ("Personal Growth", ("Productivity", "Public Speaking", "Leadership", "Writing")),
    ("Creative", ("Photography", "Music Production", "Video Editing", "Drawing")),
)

TITLE_PREFIXES: tuple[str, ...] = (
    "Introduction to", "Practical", "Mastering", "Complete", "Advanced", "Hands-on",
    "Essential", "Modern", "Applied", "The Art of",
)  # fmt: skip
TITLE_SUFFIXES: tuple[str, ...] = (
    "", " Bootcamp", " for Beginners", ": Zero to Hero", " in 30 Days", " Masterclass",
    " Crash Course", " for Professionals",
)  # fmt: skip
LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced")
LEVEL_WEIGHTS: tuple[float, ...] = (0.5, 0.35, 0.15)

# whole-dollar prices end in .99 (cents)
PRICE_CENTS: tuple[int, ...] = (1999, 2999, 3999, 4999, 5999, 7999, 9999, 12999, 14999, 19999)

# (name, channel, weight); the last one is retired: no visits, so a change batch may delete it
TRAFFIC_SOURCES: tuple[tuple[str, str, float], ...] = (
    ("Google Search", "organic", 22.0),
    ("Bing Search", "organic", 4.0),
    ("Google Ads", "paid", 14.0),
    ("Facebook Ads", "paid", 8.0),
    ("LinkedIn Ads", "paid", 4.0),
    ("YouTube", "social", 9.0),
    ("Instagram", "social", 7.0),
    ("X (Twitter)", "social", 3.0),
    ("Partner Blogs", "referral", 5.0),
    ("Affiliate Network", "referral", 6.0),
    ("Newsletter", "email", 8.0),
    ("Print Ads (retired)", "paid", 0.0),
)

CAMPAIGN_THEMES: tuple[str, ...] = (
    "new_year", "spring_sale", "summer_school", "back_to_school", "black_friday",
    "cyber_monday", "holiday", "career_switch", "upskill", "webinar",
)  # fmt: skip

AGENCIES: tuple[str, ...] = ("northwind", "brightads", "mediahive", "pixelpush")

ENROLLMENT_STATUSES: tuple[str, ...] = ("active", "completed", "cancelled")
