"""Word lists and templates for ``make_eval.py``.

Everything here was written by hand for agentmem's retrieval evaluation sets.
Multi-line text blocks use one entry per line; an indented line continues the
entry above it (this keeps the file under the 100-column limit).
"""

from __future__ import annotations


def entries(block: str) -> list[str]:
    """Split a text block into entries; indented lines continue the previous one."""
    out: list[str] = []
    for line in block.strip("\n").splitlines():
        if not line.strip():
            continue
        if line[0].isspace() and out:
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
    return out


# --------------------------------------------------------------------------- shared pools

PEOPLE = entries("""
Alice
Bruno
Chen
Dana
Elif
Farah
Gabriel
Hana
Ivan
Jonas
Keiko
Lucas
Maria
Nadia
Omar
Priya
Rafael
Rosa
Sven
Tom
Uma
Victor
Wen
Ximena
Yusuf
Zoë
Aisha
Björn
Carmen
Dmitri
Esther
Felix
Grace
Hiro
Ingrid
José
Kwame
Lena
Mateo
Noor
""")

SERVICES = entries("""
billing
checkout
search
auth
notifications
inventory
payments
reporting
ingest
gateway
analytics
scheduler
media
ledger
catalog
shipping
crm
recommendations
fraud-scoring
email-relay
pdf-renderer
geo-lookup
tax-engine
loyalty
webhooks
feature-store
identity-proxy
invoice-generator
price-engine
warehouse-sync
""")

CITIES = entries("""
Lisbon
Porto
Berlin
Valencia
Montreal
Toronto
Nairobi
Osaka
Melbourne
Copenhagen
Edinburgh
Kraków
Vilnius
Austin
Denver
Buenos Aires
Cape Town
Seoul
Taipei
Dublin
Rotterdam
Lyon
Bologna
Tallinn
""")

MONTHS = entries("""
January
February
March
April
May
June
July
August
September
October
November
December
""")

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

CUSTOMERS = entries("""
Acme Corp
Globex
Initech
Umbrella Health
Stark Logistics
Wayne Foods
Hooli
Vandelay Imports
Soylent Labs
Tyrell Energy
Cyberdyne Retail
Pied Piper
Nakatomi Trading
Oscorp Media
Wonka Retail
Monarch Airlines
Gringotts Bank
Duff Beverages
Blue Sun Freight
Massive Dynamic
""")

# Pools used by the ``short`` set. A slot such as ``{person2}`` draws from ``person``
# and is kept distinct from ``{person}``.
POOLS: dict[str, list[str]] = {
    "person": PEOPLE,
    "service": SERVICES[:18],
    "city": CITIES,
    "month": MONTHS,
    "weekday": WEEKDAYS,
    "customer": CUSTOMERS,
    "env": ["staging", "production", "dev", "QA", "sandbox", "perf", "demo", "preprod"],
    "store": ["database", "read replica", "reporting database", "metrics database", "warehouse"],
    "dbtech": [
        "Postgres 15",
        "Postgres 14",
        "Postgres 16",
        "MySQL 8",
        "MariaDB 10.11",
        "CockroachDB 23.1",
        "TimescaleDB 2.13",
    ],
    "port": ["5432", "5433", "5434", "5442", "6432", "3306", "3307", "26257", "15432", "5532"],
    "channel": ["email", "Slack", "a phone call", "a Teams message", "a helpdesk ticket", "a text message"],
    "topic": [
        "billing",
        "hiring",
        "security",
        "travel",
        "payroll",
        "vendor",
        "legal",
        "roadmap",
        "onboarding",
        "expense",
        "pricing",
        "compliance",
    ],
    "team": [
        "platform",
        "payments",
        "data",
        "mobile",
        "search",
        "SRE",
        "security",
        "identity",
        "growth",
        "infra",
        "frontend",
        "ML",
        "support tooling",
        "billing",
    ],
    "time": ["8:00", "9:00", "9:30", "10:00", "11:00", "13:30", "14:00", "15:00", "16:30", "17:00"],
    "tz": ["UTC", "CET", "ET", "PT", "JST", "GMT"],
    "repo": [
        f"{s}-{k}"
        for s in (
            "billing",
            "checkout",
            "search",
            "auth",
            "ledger",
            "catalog",
            "shipping",
            "media",
            "gateway",
        )
        for k in ("api", "worker", "web", "sdk")
    ],
    "reason": [
        "the end-of-year sales peak",
        "the SOC 2 audit",
        "the data centre move",
        "the Black Friday traffic",
        "the quarterly close",
        "the Postgres upgrade",
        "the pricing launch",
    ],
    "date": [
        f"{m} {d}"
        for m in MONTHS
        for d in (2, 5, 9, 12, 15, 18, 21, 24, 27, 30)
        if not (m == "February" and d == 30)
    ],
    "vendor": [
        "Datadog",
        "PagerDuty",
        "Snowflake",
        "GitHub",
        "Atlassian",
        "Zoom",
        "Figma",
        "Okta",
        "Salesforce",
        "Zendesk",
        "Twilio",
        "Cloudflare",
        "Sentry",
        "Notion",
        "HubSpot",
        "Vercel",
        "LaunchDarkly",
        "1Password",
    ],
    "amount": [f"${n:,}" for n in range(1500, 96000, 2750)],
    "food": [
        "peanuts",
        "shellfish",
        "gluten",
        "dairy",
        "sesame",
        "eggs",
        "tree nuts",
        "soy",
        "kiwi",
        "mustard",
        "celery",
        "lupin",
    ],
    "report": [
        "weekly revenue",
        "churn",
        "sales pipeline",
        "SLA",
        "cost allocation",
        "fraud",
        "inventory aging",
        "NPS",
        "signup funnel",
        "refunds",
        "support backlog",
        "API latency",
        "capacity",
        "chargeback",
    ],
    "job": [
        "nightly_rollup",
        "kpi_export",
        "finance_sync",
        "metrics_batch",
        "dw_refresh",
        "report_builder",
        "ledger_close",
        "events_compactor",
        "csv_mailer",
        "bi_snapshot",
        "usage_aggregator",
        "looker_push",
        "weekly_digest",
        "sla_calculator",
    ],
    "laptop": [
        "MacBook Pro 14",
        "MacBook Air 13",
        "ThinkPad X1 Carbon",
        "Dell XPS 15",
        "Framework 13",
        "ThinkPad T14s",
        "MacBook Pro 16",
    ],
    "ram": ["8", "16", "18", "24", "32", "36", "48", "64"],
    "rpm": ["60", "100", "120", "300", "500", "600", "1,000", "1,200", "2,000", "5,000"],
    "bucket": [
        f"{p}-backups-{r}" for p in ("acme", "corp", "ops", "dr") for r in ("primary", "cold", "vault")
    ],
    "region": [
        "eu-west-1",
        "eu-central-1",
        "us-east-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-northeast-1",
        "ca-central-1",
        "sa-east-1",
    ],
    "days": ["7", "14", "30", "45", "60", "90", "180", "365"],
    "project": [
        "Atlas",
        "Beacon",
        "Comet",
        "Driftwood",
        "Ember",
        "Falcon",
        "Gemstone",
        "Harbor",
        "Ironclad",
        "Juniper",
        "Kestrel",
        "Lantern",
        "Meridian",
        "Nimbus",
        "Orchard",
        "Pebble",
    ],
    "flagtool": [
        "LaunchDarkly",
        "Unleash",
        "Flagsmith",
        "a YAML file in the repo",
        "ConfigCat",
        "GrowthBook",
        "environment variables",
    ],
    "plan": ["Starter", "Team", "Business", "Enterprise", "Enterprise Plus"],
    "meeting": [
        "weekly product sync",
        "architecture review",
        "sprint planning",
        "design critique",
        "incident review",
        "hiring committee",
        "roadmap review",
        "finance standup",
        "security office hours",
        "customer advisory call",
        "data council",
        "release go/no-go",
    ],
    "logtool": ["Loki", "Elasticsearch", "CloudWatch", "Datadog", "Splunk", "BigQuery"],
    "dept": [
        "marketing",
        "engineering",
        "sales",
        "support",
        "design",
        "legal",
        "finance",
        "HR",
        "research",
        "operations",
    ],
    "domain": [
        f"{s}.acme-cloud.io"
        for s in (
            "api",
            "app",
            "status",
            "docs",
            "auth",
            "admin",
            "cdn",
            "files",
            "hooks",
            "pay",
            "mail",
            "shop",
        )
    ],
    "agent": ["planner", "research", "support-bot", "triage", "release", "sales-assistant", "scribe", "ops"],
    "doctype": [
        "incident reports",
        "pull requests",
        "customer calls",
        "research papers",
        "meeting transcripts",
        "support tickets",
        "design docs",
        "sales emails",
    ],
    "n": ["3", "4", "5", "6", "7", "8", "10"],
    "format": ["PDF", "a CSV export", "an XML file", "an e-invoice via Peppol", "a paper copy"],
    "mins": ["6", "9", "12", "14", "18", "22", "27", "35", "41", "50"],
    "runner": ["self-hosted", "GitHub-hosted", "ARM", "large Linux", "macOS", "spot"],
}

# Each frame: key slots (unique per instance), fact phrasings, query phrasings.
SHORT_FRAMES: list[dict[str, list[str]]] = [
    {
        "key": ["env", "store"],
        "facts": [
            "The {env} {store} runs {dbtech} on port {port}.",
            "{env} {store}: {dbtech}, listening on port {port}.",
            "Heads up, the {env} {store} is on {dbtech} now and answers on port {port}.",
        ],
        "queries": ["Which port does the {env} {store} listen on?", "What is the {env} {store} running on?"],
    },
    {
        "key": ["person", "topic"],
        "facts": [
            "{person} prefers {channel} over {channel2} for {topic} questions.",
            "When it comes to {topic}, {person} wants to be reached via {channel}, not {channel2}.",
            "Reminder: send {person} {topic} questions via {channel} rather than {channel2}.",
        ],
        "queries": [
            "How should I contact {person} about {topic}?",
            "What's the best way to reach {person} with a question about {topic}?",
        ],
    },
    {
        "key": ["team"],
        "facts": [
            "The {team} on-call rotation hands over every {weekday} at {time} {tz}.",
            "{team} on-call shifts change on {weekday}s at {time} {tz}, handover notes go in the channel.",
            "Our {team} pager moves to the next person each {weekday} at {time} {tz}.",
        ],
        "queries": [
            "When does the {team} on-call shift change?",
            "What day and time does {team} on-call rotate?",
        ],
    },
    {
        "key": ["repo"],
        "facts": [
            "{person} owns the {repo} repository and reviews every change to it.",
            "Code owner for {repo} is {person}; ping them before merging.",
            "{repo} is maintained by {person} since {person2} moved teams.",
        ],
        "queries": ["Who owns the {repo} repo?", "Who should review changes to {repo}?"],
    },
    {
        "key": ["service"],
        "facts": [
            "Production deploys of {service} are frozen for {n} weeks from {date} because of {reason}.",
            "No {service} releases for {n} weeks starting {date}, we are protecting {reason}.",
        ],
        "queries": ["When is the {service} deploy freeze?", "Why can't we ship {service} changes right now?"],
    },
    {
        "key": ["vendor"],
        "facts": [
            "Our {vendor} contract renews on {date} at {amount} a year.",
            "The {vendor} subscription is up for renewal on {date}; we pay {amount} annually.",
            "{vendor} renewal: {date}, {amount} per year, {person} negotiates it.",
        ],
        "queries": ["When does the {vendor} contract renew?", "How much do we pay {vendor} every year?"],
    },
    {
        "key": ["person"],
        "facts": [
            "{person} is allergic to {food}, keep that in mind for team lunches.",
            "Note for catering: {person} can't eat {food}.",
            "{person} has a food allergy ({food}), so check the menu before ordering.",
        ],
        "queries": ["What food can't {person} eat?", "Does {person} have any food allergies?"],
    },
    {
        "key": ["report"],
        "facts": [
            "The {report} report is generated every {weekday} morning by the {job} job.",
            "{job} builds the {report} report; it runs at {time} on {weekday}s.",
            "If the {report} report is missing, rerun {job}, it normally finishes by {time}.",
        ],
        "queries": ["Which job produces the {report} report?", "What creates the {report} report each week?"],
    },
    {
        "key": ["person"],
        "facts": [
            "{person}'s work laptop is a {laptop} with {ram} GB of RAM.",
            "IT issued {person} a {laptop} ({ram} GB) last {month}.",
            "{person} develops on a {laptop}, {ram} GB memory, company issued.",
        ],
        "queries": ["What laptop does {person} use?", "Which computer did IT give {person}?"],
    },
    {
        "key": ["service"],
        "facts": [
            "The {service} API is rate limited to {rpm} requests per minute per token.",
            "{service} API: {rpm} req/min per token, anything above that gets HTTP 429.",
            "We raised the {service} API limit to {rpm} requests a minute per token.",
        ],
        "queries": [
            "What's the rate limit on the {service} API?",
            "How many requests per minute can one token send to {service}?",
        ],
    },
    {
        "key": ["service"],
        "facts": [
            "Backups for the {service} cluster go to the {bucket} bucket in {region} and "
            "are kept {days} days.",
            "{service} snapshots land in {bucket} ({region}), retention {days} days.",
            "Nightly {service} backups are written to {bucket} in {region}.",
        ],
        "queries": ["Where are the {service} backups stored?", "Which bucket holds the {service} snapshots?"],
    },
    {
        "key": ["person"],
        "facts": [
            "{person} works from the {city} office on {weekday}s and remotely the rest of the week.",
            "{person} is in the {city} office every {weekday}, otherwise at home.",
            "You can find {person} at the {city} office on {weekday}s.",
        ],
        "queries": [
            "Which day is {person} in the office?",
            "When can I catch {person} in person at the office?",
        ],
    },
    {
        "key": ["project"],
        "facts": [
            "The {project} project uses {flagtool} for feature flags.",
            "Feature flags in {project} are managed with {flagtool}.",
            "{project} toggles features through {flagtool}; ask {person} for access.",
        ],
        "queries": [
            "Which feature flag tool does {project} use?",
            "How are feature flags handled in the {project} project?",
        ],
    },
    {
        "key": ["customer"],
        "facts": [
            "{customer} is on the {plan} plan and {person} is their account manager.",
            "Account manager for {customer} ({plan} tier): {person}.",
            "{person} looks after {customer}, who pay for the {plan} plan.",
        ],
        "queries": ["Who manages the {customer} account?", "What plan is {customer} on?"],
    },
    {
        "key": ["meeting"],
        "facts": [
            "The {meeting} was moved to {weekday} at {time} starting next week.",
            "From now on the {meeting} happens on {weekday}s at {time}.",
            "New slot for the {meeting}: {weekday}, {time} {tz}.",
        ],
        "queries": ["When is the {meeting} now?", "What time did the {meeting} move to?"],
    },
    {
        "key": ["person"],
        "facts": [
            "{person} is on leave until {date}; {person2} is covering their code reviews.",
            "While {person} is away (back {date}), {person2} handles their reviews.",
            "{person2} covers for {person} until {date}.",
        ],
        "queries": ["Who is covering for {person} while they are away?", "When is {person} back from leave?"],
    },
    {
        "key": ["service"],
        "facts": [
            "{service} logs are kept for {days} days in {logtool} before they are archived.",
            "Log retention for {service}: {days} days in {logtool}.",
            "{service} ships its logs to {logtool}, where they live for {days} days.",
        ],
        "queries": ["How long are {service} logs retained?", "Where do the {service} logs go?"],
    },
    {
        "key": ["dept"],
        "facts": [
            "Expenses over {amount} in {dept} need sign-off from {person}.",
            "{person} approves any {dept} expense above {amount}.",
            "Anything {dept} spends beyond {amount} has to go through {person}.",
        ],
        "queries": ["Who approves large {dept} expenses?", "Who signs off on big {dept} purchases?"],
    },
    {
        "key": ["person"],
        "facts": [
            "{person} is based in {city}, so avoid calls with them before {time} their time.",
            "{person} lives in {city}; their working day starts around {time} local time.",
            "Scheduling note: {person} is in {city} and rarely online before {time} local time.",
        ],
        "queries": ["What time zone is {person} in?", "How early can I schedule a call with {person}?"],
    },
    {
        "key": ["domain"],
        "facts": [
            "The TLS certificate for {domain} expires on {date}; {person} renews it.",
            "Cert for {domain} runs out {date}, renewal owner is {person}.",
            "{person} will renew the {domain} certificate before it expires on {date}.",
        ],
        "queries": ["When does the certificate for {domain} expire?", "Who renews the {domain} TLS cert?"],
    },
    {
        "key": ["agent", "doctype"],
        "facts": [
            "The {agent} agent should summarise {doctype} in {n} bullet points or fewer.",
            "Style rule for the {agent} agent: {doctype} summaries max {n} bullets.",
            "Keep {agent} agent summaries of {doctype} to {n} bullet points.",
        ],
        "queries": [
            "How long should the {agent} agent's summaries of {doctype} be?",
            "How many bullets may the {agent} agent use for {doctype}?",
        ],
    },
    {
        "key": ["customer"],
        "facts": [
            "{customer} wants invoices sent as {format} to their {dept} team.",
            "Invoices for {customer} go out as {format}, addressed to {dept}.",
            "{customer} asked us to deliver invoices as {format} to the {dept} contact.",
        ],
        "queries": [
            "How does {customer} want to receive invoices?",
            "In what format do we send {customer} their invoices?",
        ],
    },
    {
        "key": ["service"],
        "facts": [
            "{service} runs in {region} with a failover replica in {region2}.",
            "Primary region for {service} is {region}; failover goes to {region2}.",
            "{service} is deployed to {region}, standby in {region2}.",
        ],
        "queries": ["Which region hosts {service}?", "Where does {service} fail over to?"],
    },
    {
        "key": ["repo"],
        "facts": [
            "A full CI build of {repo} takes about {mins} minutes on the {runner} runners.",
            "{repo} CI: roughly {mins} minutes end to end on {runner} runners.",
            "Expect {mins} minutes for a {repo} pipeline run ({runner} runners).",
        ],
        "queries": ["How long does the {repo} CI build take?", "Which runners does the {repo} pipeline use?"],
    },
]

# --------------------------------------------------------------------------- conversation

SPEAKERS: list[tuple[str, str]] = [
    ("Maria", "her"),
    ("Tom", "his"),
    ("Priya", "her"),
    ("Jonas", "his"),
    ("Keiko", "her"),
    ("Omar", "his"),
    ("Lena", "her"),
    ("Rafael", "his"),
    ("Aisha", "her"),
    ("Sven", "his"),
    ("Hana", "her"),
    ("Kwame", "his"),
    ("Ingrid", "her"),
    ("Mateo", "his"),
    ("Noor", "her"),
    ("Dmitri", "his"),
    ("Grace", "her"),
    ("Hiro", "his"),
    ("Carmen", "her"),
    ("Felix", "his"),
    ("Sam", "their"),
    ("Alex", "their"),
    ("Zoë", "her"),
    ("José", "his"),
]

CONV_POOLS: dict[str, list[str]] = {
    "city": CITIES,
    "month": MONTHS,
    "weekday": WEEKDAYS,
    "season": ["spring", "summer", "autumn", "winter"],
    "place": ["river", "old market", "train station", "beach", "university", "park"],
    "relative": ["sister", "brother", "cousin", "best friend", "niece", "nephew"],
    "venue": ["vineyard", "barn", "rooftop bar", "lake house", "old cinema", "garden"],
    "day": [str(d) for d in range(3, 29)],
    "guests": ["40", "60", "80", "120", "150", "200"],
    "pet": ["cat", "dog", "rabbit", "puppy", "kitten", "greyhound"],
    "petname": [
        "Biscuit",
        "Pixel",
        "Mochi",
        "Pepper",
        "Luna",
        "Ziggy",
        "Noodle",
        "Olive",
        "Chorizo",
        "Waffles",
        "Juniper",
        "Tofu",
    ],
    "chewed": [
        "my laptop charger",
        "the sofa cushion",
        "a brand new shoe",
        "the TV remote",
        "my headphones",
        "the garden hose",
    ],
    "company": [
        "Spotify",
        "a small robotics startup",
        "the city council",
        "Shopify",
        "a climate-tech company",
        "Doctors Without Borders",
        "a bank in Zurich",
        "a game studio",
    ],
    "role": [
        "product designer",
        "data engineer",
        "team lead",
        "UX researcher",
        "backend developer",
        "project manager",
    ],
    "ordinal": ["first", "third", "tenth", "fifteenth", "twentieth"],
    "race": [
        "Berlin marathon",
        "Lisbon half marathon",
        "Valencia 10K",
        "Tokyo marathon",
        "a trail ultra in the Alps",
        "Copenhagen half",
    ],
    "km": ["30", "40", "45", "55", "60", "70"],
    "goal": ["four hours", "three and a half hours", "two hours", "fifty minutes", "one hour forty"],
    "country": [
        "Japan",
        "Portugal",
        "Mexico",
        "Vietnam",
        "Iceland",
        "Morocco",
        "Peru",
        "Greece",
        "Norway",
        "Sri Lanka",
    ],
    "nights": ["five", "ten", "twelve", "fourteen", "nine"],
    "lodging": ["tiny guesthouse", "camper van", "apartment", "treehouse", "farm stay"],
    "landmark": ["the old harbour", "a volcano", "the main square", "the national park", "a surf beach"],
    "bodypart": ["ankle", "knee", "wrist", "shoulder", "back"],
    "sport": ["football", "padel", "basketball", "volleyball", "squash", "ice hockey"],
    "weeks": ["three", "four", "six", "eight"],
    "car": ["Golf", "Corolla", "Fiat Panda", "Volvo estate", "Mini", "Honda Civic"],
    "price": ["2,000 euros", "3,500 euros", "4,200 dollars", "1,800 pounds", "5,000 dollars"],
    "commute": ["e-bike", "train", "scooter", "bus", "bike"],
    "bake": ["sourdough", "croissants", "bagels", "focaccia", "cinnamon buns", "rye bread"],
    "book": [
        "The Overstory",
        "Middlemarch",
        "Project Hail Mary",
        "Pachinko",
        "The Left Hand of Darkness",
        "A Little Life",
        "Dune",
        "Circe",
    ],
    "language": ["Portuguese", "Japanese", "Korean", "Italian", "Greek", "Spanish", "Dutch", "Swahili"],
    "kidrel": ["daughter", "son"],
    "kidname": ["Mila", "Leo", "Ada", "Theo", "Ines", "Oskar", "Yara", "Nico"],
    "reason": [
        "it has a huge garden",
        "it's a five minute walk",
        "the teachers seemed really kind",
        "they do music every day",
    ],
    "room": ["kitchen", "bathroom", "attic", "living room", "hallway"],
    "material": ["oak", "terrazzo", "cork", "concrete", "reclaimed pine"],
    "band": [
        "Arctic Monkeys",
        "Khruangbin",
        "Fleetwood Mac tribute band",
        "Radiohead",
        "Little Simz",
        "Bon Iver",
        "Rosalía",
    ],
    "arena": ["the Olympia", "the old gasworks", "the arena downtown", "a tiny jazz club", "the park stage"],
    "age": ["fourteen", "sixteen", "twelve", "nineteen"],
    "instrument": ["cello", "trumpet", "piano", "drum kit", "saxophone", "ukulele"],
    "neighbour": [
        "the man downstairs",
        "my landlady",
        "the couple next door",
        "the retired teacher upstairs",
    ],
}

CONV_TOPICS: list[dict[str, list[str]]] = [
    {
        "owner": [
            "I moved to {city} last {season}, the rent is so much cheaper.",
            "The flat in {city} is tiny but it's ten minutes from the {place}.",
            "Still getting used to {city}, I keep getting lost on the way home.",
        ],
        "replies": [
            "Oh nice {owner}, how is {city} treating you?",
            "{city} is lovely in {season}, I was there years ago.",
            "Ha, I'd move to {city} in a heartbeat.",
            "Is it far from the {place}?",
        ],
        "queries": [
            "When did {owner} move to {city}?|0",
            "What did {owner} say about {pos} flat in {city}?|1",
        ],
    },
    {
        "owner": [
            "My {relative}'s wedding is on {month} {day}, I'm flying out the day before.",
            "I have to give a speech at the wedding and I haven't written a word.",
            "They booked a {venue} for the reception, about {guests} guests.",
        ],
        "replies": [
            "Aww, congrats to your {relative}!",
            "{owner}, just tell an embarrassing childhood story, works every time.",
            "A {venue}? That sounds beautiful.",
            "Weddings in {month} are the best.",
        ],
        "queries": [
            "What did {owner} say about {pos} {relative}'s wedding?|0,1,2",
            "Where is the reception for {owner}'s {relative}'s wedding?|2",
        ],
    },
    {
        "owner": [
            "We adopted a {pet} from the shelter, my partner named it {petname}.",
            "{petname} chewed through {chewed} last night.",
            "The vet says {petname} needs to lose a bit of weight, no more treats.",
        ],
        "replies": [
            "Photos of {petname} please!",
            "{owner}, a {pet}! That's amazing.",
            "Ours destroyed {chewed} too, it's a phase.",
            "What a great name.",
        ],
        "queries": [
            "What is the name of the {pet} {owner} adopted?|0",
            "What did {owner}'s {pet} destroy?|1",
        ],
    },
    {
        "owner": [
            "Big news: I accepted an offer from {company}, I'll be a {role} there.",
            "I start the new job on the {ordinal} of {month}.",
            "Handing over all my projects before I leave is taking forever.",
        ],
        "replies": [
            "Congratulations {owner}!!",
            "Wow, good for you, that is a big change.",
            "We'll miss you, but that's a great move.",
            "A {role}, that fits you perfectly.",
        ],
        "queries": ["Where is {owner} going to work next?|0", "When does {owner} start {pos} new job?|1"],
    },
    {
        "owner": [
            "I signed up for the {race}, it's in {month}.",
            "I'm up to {km} kilometres a week and my knees are complaining.",
            "My goal is to finish in under {goal}, fingers crossed.",
        ],
        "replies": [
            "You're braver than me, {owner}.",
            "I heard that course is supposed to be fast.",
            "Ice your knees and sleep a lot.",
            "I'll come cheer at the finish!",
        ],
        "queries": ["Which race is {owner} training for?|0", "What finishing time is {owner} aiming for?|2"],
    },
    {
        "owner": [
            "We're flying to {country} in {month} for {nights} nights.",
            "We booked a {lodging} near {landmark}.",
            "My partner wants a cooking class, I just want to lie on a beach.",
        ],
        "replies": [
            "Jealous! Send pictures.",
            "{owner}, bring me back some snacks.",
            "Do the cooking class, it's always worth it.",
            "I went to {country} in a {lodging} once, loved it.",
        ],
        "queries": [
            "Where is {owner} travelling in {month}?|0",
            "Where is {owner} staying on the trip to {country}?|1",
        ],
    },
    {
        "owner": [
            "I hurt my {bodypart} playing {sport} on {weekday}.",
            "The physio said no {sport} for {weeks} weeks, which is torture.",
            "Doing boring rehab exercises every morning now.",
        ],
        "replies": [
            "Ouch, get well soon {owner}.",
            "Injuries like that are the worst.",
            "Rest it properly, don't rush back.",
            "My {bodypart} still clicks from an old injury.",
        ],
        "queries": [
            "How did {owner} get injured?|0",
            "How long does {owner} have to stop playing {sport}?|1",
        ],
    },
    {
        "owner": [
            "I finally sold the old {car}.",
            "Got {price} for it, more than I expected with that dent.",
            "Now I'm commuting by {commute} and honestly it's faster.",
        ],
        "replies": [
            "End of an era, {owner}!",
            "That car was a legend.",
            "Sounds nice when it's not raining.",
            "Good price for an old car.",
        ],
        "queries": [
            "What car did {owner} sell?|0",
            "How much did {owner} get for the {car}?|1",
            "How does {owner} get to work now?|2",
        ],
    },
    {
        "owner": [
            "I've been baking {bake} every weekend since {month}.",
            "The trick is a long cold proof in the fridge overnight.",
            "My flatmates are sick of eating {bake} for breakfast.",
        ],
        "replies": [
            "Bring some to the office {owner}!",
            "Homemade anything is the best.",
            "I tried once and it was a brick.",
            "Recipe please.",
        ],
        "queries": ["What has {owner} been baking?|0", "What baking trick did {owner} share?|1"],
    },
    {
        "owner": [
            "I'm reading {book} at the moment.",
            "It's slow for the first hundred pages but then it gets really good.",
            "Our book club meets on {weekday} to discuss it.",
        ],
        "replies": [
            "That one is on my list too.",
            "{owner}, tell me if the ending is worth it.",
            "I gave up halfway, maybe I should try again.",
            "Which book club is that?",
        ],
        "queries": ["Which book is {owner} reading?|0", "When does {owner}'s book club meet?|2"],
    },
    {
        "owner": [
            "I signed up for a {language} course on {weekday} evenings.",
            "The teacher is super strict about pronunciation.",
            "The goal is to order dinner in {language} on our next holiday.",
        ],
        "replies": [
            "Good luck {owner}, the grammar will hurt.",
            "Good luck! Or however you say it there.",
            "Duolingo never worked for me, classes are better.",
            "Is it online or in person?",
        ],
        "queries": ["What language is {owner} learning?|0", "What is {owner}'s language teacher like?|1"],
    },
    {
        "owner": [
            "{kidname} starts school in {month}, I'm more nervous than {kidname}.",
            "We picked the school near us because {reason}.",
            "Uniform shopping was a nightmare.",
        ],
        "replies": [
            "Big step, {owner}!",
            "{kidname} will love it.",
            "First day photos are mandatory.",
            "Our kids cried for a week and then loved it.",
        ],
        "queries": [
            "When does {owner}'s {kidrel} {kidname} start school?|0",
            "Why did {owner} choose that school?|1",
        ],
    },
    {
        "owner": [
            "We're redoing the {room}, the builder starts on {month} {day}.",
            "The quote came in at {price}, way over budget.",
            "Going with {material} for the floor.",
        ],
        "replies": [
            "Renovations always take twice as long, {owner}.",
            "{material} floors look great.",
            "Good luck living through the dust.",
            "Who's your builder?",
        ],
        "queries": [
            "Which room is {owner} renovating?|0",
            "How much was the renovation quote {owner} got?|1",
        ],
    },
    {
        "owner": [
            "Got tickets to see {band} at {arena} in {month}.",
            "I've wanted to see them live since I was {age}.",
            "We have a spare ticket if anyone wants it.",
        ],
        "replies": [
            "No way, I love them!",
            "{owner}, save me a photo of the setlist.",
            "{arena} has terrible sound though.",
            "Have fun!",
        ],
        "queries": ["Which band is {owner} going to see?|0", "Does {owner} have a spare concert ticket?|2"],
    },
    {
        "owner": [
            "I bought a second-hand {instrument} and started lessons.",
            "{neighbour} complained about the noise on {weekday}.",
            "Practising with a mute now, it sounds terrible.",
        ],
        "replies": [
            "Play us something at the party, {owner}.",
            "Neighbours always complain, ignore them.",
            "I played the {instrument} as a kid.",
            "That's such a nice hobby.",
        ],
        "queries": ["What instrument is {owner} learning?|0", "Who complained about {owner}'s practising?|1"],
    },
]

CONV_SMALLTALK = entries("""
Morning all, the coffee machine is broken again.
Anyone up for lunch at the noodle place?
Does anyone know if the office is open on the holiday?
I left my umbrella in the meeting room, if anyone sees it.
Happy Friday everyone!
Who took the last oat milk?
Traffic was awful this morning.
Can someone send me the link to the quiz tonight?
I can't believe it's already this late in the year.
Reminder: the fire drill is at eleven.
My internet keeps dropping today, sorry if I vanish.
Did anyone watch the match last night?
It's so hot in here, is the air conditioning on?
I brought cake, it's in the kitchen.
Quick poll: pizza or tacos for the team dinner?
Running ten minutes late, go ahead without me.
Has anyone seen my charger? Grey, with a sticker on it.
Is the parking garage still closed?
Thanks for covering for me yesterday.
Back from holiday, what did I miss?
""")

# --------------------------------------------------------------------------- long notes

NOTE_TYPES: list[dict[str, list[str]]] = [
    {
        "titles": [
            "Incident report: {service2} latency spike on {date}",
            "Postmortem: partial {service2} outage, {date}",
        ],
        "sections": ["Summary", "Timeline", "Customer impact"],
        "tail": ["Root cause and follow-ups", "Follow-up actions"],
    },
    {
        "titles": ["{team} weekly sync, {date}", "Notes from the {team} planning meeting, {date}"],
        "sections": ["Attendees and agenda", "Updates", "Discussion"],
        "tail": ["Decisions", "Other business"],
    },
    {
        "titles": ["Runbook: operating {service2}", "On-call handbook for {service2}"],
        "sections": ["Purpose", "Before you start", "Health checks"],
        "tail": ["Procedures and escalation", "Known issues"],
    },
    {
        "titles": ["Design doc: {feature} for {service2}", "RFC: {feature} in {service2}"],
        "sections": ["Context", "Goals and non-goals", "Alternatives considered"],
        "tail": ["Open questions and decisions", "Follow-ups"],
    },
    {
        "titles": ["{team} retro, {quarter}", "Quarterly review notes: {team}, {quarter}"],
        "sections": ["What went well", "What went badly", "Metrics"],
        "tail": ["Actions", "Anything else"],
    },
]

LONG_POOLS: dict[str, list[str]] = {
    "person": PEOPLE,
    "service": SERVICES,
    "service2": SERVICES,
    "team": POOLS["team"],
    "month": MONTHS,
    "date": POOLS["date"],
    "region": POOLS["region"],
    "customer": CUSTOMERS,
    "pct": ["3", "5", "8", "12", "15", "20", "25", "30"],
    "n": ["14", "30", "45", "60", "90"],
    "mins": ["7", "12", "18", "25", "40", "55"],
    "ttl": ["2", "5", "10", "15"],
    "quarter": ["Q1", "Q2", "Q3", "Q4"],
    "feature": [
        "request batching",
        "tenant isolation",
        "idempotency keys",
        "soft deletes",
        "read-through caching",
        "async exports",
        "audit logging",
        "rate limiting",
        "schema versioning",
        "blue-green deploys",
    ],
    "old": [
        "the old VM fleet",
        "Heroku",
        "a self-managed RabbitMQ",
        "MySQL 5.7",
        "the legacy cron box",
        "Ubuntu 18.04 hosts",
    ],
    "new": ["Kubernetes", "managed Postgres", "Kafka", "ECS Fargate", "Cloud Run", "Nomad"],
    "queue": ["outbound", "retry", "dead-letter", "priority", "bulk"],
    "bucket": POOLS["bucket"],
    "component": [
        "connection pool",
        "primary database",
        "message broker",
        "CPU on the API pods",
        "Redis cache",
        "disk I/O on the workers",
    ],
    "rps": ["1,800", "2,400", "3,100", "4,750", "6,200", "9,000", "12,500"],
    "money": ["$4,000", "$7,500", "$11,000", "$18,000", "$26,000"],
    "cause": [
        "an expired TLS certificate on the {service} internal load balancer",
        "a connection pool capped at 20 on the {service} workers",
        "a DNS record for {service} with a week-long TTL",
        "a cron job that vacuumed the {service} tables at peak hours",
        "a feature flag that disabled retries in {service}",
    ],
    "tool": ["Grafana", "PagerDuty", "Datadog", "Sentry", "Kibana", "the status page"],
}

# Section sentences, shared by all note types. Slots: see LONG_POOLS.
LONG_SENTENCES = entries("""
This page collects what we know so far and will be updated as the picture changes.
{person} took notes; corrections are welcome in the comments.
The {service2} dashboards in {tool} were the first place anyone looked.
Around {mins} minutes passed before the first alert fired, which is longer than we would
    like.
{person2} pointed out that the same pattern showed up in {month}, but nobody wrote it down
    back then.
Error budgets for {service2} were already tight after the previous release.
We spent a while ruling out the network, since the symptoms looked like packet loss.
Traffic in {region} was roughly {pct} percent above a normal weekday.
The {team} team asked for more context on how these numbers were collected.
Most of the discussion was about {service2} and whether the current alerts are useful.
{person} shared a graph showing p99 latency creeping up over several days.
Nobody could reproduce the problem in staging, which slowed everything down.
Support received a handful of tickets, mostly from customers on the Enterprise plan.
The on-call engineer followed the existing checklist and escalated after {mins} minutes.
We agreed that the current documentation for {service2} is out of date in several places.
{person2} walked through the dependency graph and highlighted two single points of failure.
There is still disagreement about whether this should be owned by {team} or by platform.
The status page was updated twice, and the wording was reviewed by support.
Dashboards showed CPU at normal levels, so capacity was not the obvious culprit.
The conversation drifted to hiring for a while before we came back to the agenda.
A quick poll showed that most people want fewer, better alerts rather than more of them.
{person} is still collecting numbers from the billing side and will share them later.
Everyone agreed the handover between time zones went smoothly this time.
We reviewed the last {n} days of deploys and none of them touched the affected code path.
The {service2} team is mid-way through a large refactor, so changes are frozen for now.
Some of the confusion came from two dashboards showing slightly different numbers.
{person2} asked that we keep this document short enough that people actually read it.
Customer-facing impact was limited, but internal tooling was degraded for a while.
The previous action items from {month} are mostly done, with two still open.
We want to revisit the alert thresholds once there is a month of clean data.
Latency graphs in {tool} looked noisy, but nothing crossed the paging threshold.
{person} reminded everyone that the quarterly planning deadline is coming up.
A separate thread covers the cost side; this page only deals with reliability.
Engineering and support spent some time aligning on how to word the customer update.
The backlog for {service2} has grown by about {pct} percent since last quarter.
Several people noted that the runbook links in the alerts point to a deleted page.
For context, {service2} handles most of its traffic during European business hours.
The load generator was left running in {region} for the whole afternoon.
We checked the release notes of every dependency bumped in the last sprint.
{person2} volunteered to clean up the old tickets that are no longer relevant.
""")

LONG_TAIL_LEAD = entries("""
One more item came up near the end and deserves to be written down clearly.
This part is the one most people will need later, so it is kept separate.
The following was agreed after a fairly long back and forth.
Before closing, we settled a question that had been open for weeks.
For anyone skimming: this is the part that changes how we work.
""")

LONG_TAIL_TRAIL = entries("""
{person} will update the wiki and announce it in the engineering channel.
Questions about this should go to the {team} channel rather than direct messages.
We will check next month whether this had the effect we expected.
If anything here turns out to be wrong, edit this page and ping {person}.
The relevant tickets are linked from the team board.
""")

# Tail facts for the long set. The <<marked>> part becomes the answer span.
# "queries" paraphrase the marked content; every query names the note's {service}.
LONG_TAILS: list[dict[str, list[str]]] = [
    {
        "fact": [
            "After a long discussion we agreed that <<the {service} database credentials "
            "will be rotated every {n} days>> instead of once a quarter."
        ],
        "queries": [
            "How often will the passwords for the {service} DB be changed from now on?",
            "What is the new secret rotation schedule for {service}'s database?",
        ],
    },
    {
        "fact": [
            "<<{person} will lead the move of {service} from {old} to {new}>> and expects "
            "to be done by the end of {month}."
        ],
        "queries": [
            "Who is in charge of migrating {service} onto {new}?",
            "Which engineer is responsible for getting {service} off {old}?",
        ],
    },
    {
        "fact": ["The real root cause was <<{cause}>>, and nothing was alerting on it."],
        "queries": [
            "What ultimately broke the {service} service?",
            "What was the underlying reason for the {service} problems?",
        ],
    },
    {
        "fact": [
            "During a rollback, <<drain the {queue} queue for {service} and wait for the "
            "backlog to reach zero>> before restarting any workers."
        ],
        "queries": [
            "What has to happen before the {service} workers are restarted when reverting a release?",
            "What is the required step for {service} consumers prior to a restart in a rollback?",
        ],
    },
    {
        "fact": [
            "Because the infrastructure budget was cut by {pct} percent, <<the second "
            "{service} region is postponed until {quarter}>>."
        ],
        "queries": [
            "When will {service} get an additional region, and why the delay?",
            "Why is the extra {service} deployment location pushed back?",
        ],
    },
    {
        "fact": [
            "<<If the {service} error rate stays above {pct} percent for ten minutes, "
            "page {person} directly>> instead of waiting for the secondary."
        ],
        "queries": [
            "When should on-call escalate {service} failures straight to a named person?",
            "Who gets woken up if {service} keeps failing for a sustained period?",
        ],
    },
    {
        "fact": [
            "To stop customers seeing stale data, <<the {service} cache TTL was lowered "
            "from 30 to {ttl} minutes>>."
        ],
        "queries": [
            "What change was made to how long {service} keeps cached entries?",
            "How long do cached {service} values live now that outdated results were reported?",
        ],
    },
    {
        "fact": [
            "<<The nightly {service} export now lands in the {bucket} bucket>> instead of "
            "the shared drive, so update any scripts that read the old path."
        ],
        "queries": [
            "Where does the overnight {service} dump get written these days?",
            "Which storage location receives the daily {service} extract now?",
        ],
    },
    {
        "fact": [
            "<<{customer} has asked for a dedicated {service} instance>>, and legal must "
            "review the data processing addendum before we send a quote."
        ],
        "queries": [
            "Which client wants their own isolated {service} deployment?",
            "Who requested a single-tenant {service} setup?",
        ],
    },
    {
        "fact": [
            "<<The {service} load test topped out at {rps} requests per second>> before "
            "the {component} saturated."
        ],
        "queries": [
            "What throughput could {service} sustain in the performance test?",
            "What peak traffic did {service} handle during stress testing?",
        ],
    },
    {
        "fact": [
            "<<Version 1 of the {service} API will be switched off on {date}>>; clients "
            "still using it get a deprecation header until then."
        ],
        "queries": [
            "When is the old {service} interface going away?",
            "On what day does the legacy {service} endpoint version stop working?",
        ],
    },
    {
        "fact": [
            "<<We are opening two backend roles on the {service} team, with {person} as hiring manager>>."
        ],
        "queries": [
            "Who is running recruitment for the {service} group?",
            "Is the {service} team hiring, and who decides on candidates?",
        ],
    },
    {
        "fact": [
            "<<Moving {service} to spot instances should save about {money} a month>>, "
            "as long as the workers tolerate interruptions."
        ],
        "queries": [
            "How much could {service} save by running on cheaper interruptible machines?",
            "What are the expected monthly savings from putting {service} on preemptible capacity?",
        ],
    },
]

# --------------------------------------------------------------------------- paraphrase

# F = fact (the answer), Q = query paraphrasing it with few shared content words,
# N = near miss sharing the fact's vocabulary, T = trap sharing the query's vocabulary.
PARAPHRASE_BLOCK = """
F The CFO approved a 10% increase in the marketing budget for next year.
Q Did finance sign off on spending more on advertising?
N The CFO asked for a 10% reduction in the travel budget for next year.
N The marketing budget review has been moved to the first week of the quarter.
T Finance still has to sign the new office lease before Friday.
T The advertising agency sent over three new banner concepts.

F Our staging Kubernetes cluster is torn down every night at 11 pm to save money.
Q Is the pre-production environment switched off overnight to cut costs?
N The production Kubernetes cluster was upgraded last night without downtime.
N Staging gets a fresh copy of the anonymised database every Monday.
T The office lights are switched off automatically to cut electricity costs.
T Pre-production testing for the mobile app happens on real phones.

F Priya is allergic to peanuts, so the team lunch order must avoid them.
Q Is there any food that makes Priya ill?
N Priya booked the team lunch at the Lebanese place for Thursday.
N Nadia is allergic to cats, so the office pet policy stays strict.
T The food truck outside the office only takes card payments.
T Priya was ill on Monday and missed the sprint demo.

F The mobile app crashes on launch for users running Android 9.
Q Does our smartphone program break as soon as it is opened on older devices?
N The mobile app now launches twice as fast after the image cache fix.
N Users running Android 14 see a blank settings screen in the app.
T The smartphone stipend covers one new device every two years.
T Our desktop program for Windows shows a welcome tour when it is opened for the first time.

F Deployments are not allowed on Fridays after 3 pm.
Q Can I ship code to production late in the week in the afternoon?
N Deployments on Fridays need a second reviewer on the pull request.
N After 3 pm the build queue is usually much shorter.
T Production code freezes for the holidays start in the second week of December.
T The afternoon standup was cancelled for the rest of the week.

F The customer support team answers tickets within four hours on weekdays.
Q How fast do our help desk agents reply to requests during the working week?
N The customer support team closes about two hundred tickets on an average weekday.
N Tickets from enterprise customers are tagged automatically by the triage bot.
T Help desk agents get a new headset every two years.
T Purchase requests are reviewed by procurement once a week.

F Tom will be on paternity leave from June until the end of August.
Q When is Tom away to look after his newborn?
N Tom will be at the Berlin conference from June 3 to June 5.
N Paternity leave requests should be sent to HR at least a month in advance.
T Tom is away at a customer workshop this afternoon.
T The baby-changing room on the second floor is being renovated.

F The quarterly revenue target was missed by roughly two million dollars.
Q Did we fall short of our sales goal for the three months?
N The quarterly revenue report will be published on the intranet on Thursday.
N The hiring target for the quarter was exceeded by two engineers.
T The sales team set a goal of fifty new logos for the year.
T Three months of free service were offered to the pilot customers.

F We switched the company password manager from LastPass to 1Password.
Q Which vault tool do we use now for storing login secrets?
N The company password policy now requires sixteen characters.
N LastPass invoices were moved to the IT cost centre last year.
T The secrets used by CI are stored in HashiCorp Vault.
T Login with Google is now available on the customer portal.

F The office in Berlin closes for renovation during the first two weeks of March.
Q When will the German workplace be shut for building work?
N The office in Lisbon gets new desks in the first two weeks of May.
N Berlin office hours are 8 am to 7 pm from Monday to Friday.
T The building work next door starts at seven every morning.
T Workplace safety training is mandatory for all new hires.

F Legal says we cannot store European customer data on servers in the United States.
Q Are we allowed to keep EU clients' records in American facilities?
N Legal says European customer contracts must be signed electronically.
N Customer data on our servers is encrypted at rest with AES-256.
T The American sales team keeps client records in Salesforce.
T Old paper records are shredded by an external facilities company.

F The search service became slow after the last release because an index was dropped.
Q Why did lookups get sluggish following the most recent deploy?
N The search service release notes were shared in the product channel.
N An index was added to the orders table last month to speed up reports.
T The most recent deploy of the admin panel fixed a broken logout button.
T Lookups in the address autocomplete are cached for one hour.

F Maria prefers to receive feedback in writing rather than in meetings.
Q How does Maria like to be told how she is doing?
N Maria prefers meetings before 11 am because of the school run.
N Written feedback for interns is collected at the end of each rotation.
T Maria is doing the onboarding for the two new designers.
T She told the team she likes the new office layout.

F New hires get their laptops shipped to their home address a week before they start.
Q When do incoming staff receive their computers?
N New hires get a welcome lunch with their team in the first week.
N Laptops are refreshed every three years for existing employees.
T Staff computers must have disk encryption turned on.
T Incoming packages are held at reception until five o'clock.

F The nightly data pipeline failed three times this week because the disk filled up.
Q Why did the overnight ETL job keep breaking lately?
N The nightly data pipeline now finishes forty minutes earlier after the rewrite.
N The disk on the build server was replaced this week.
T The overnight support shift is covered by the team in Manila.
T The ETL job for marketing attribution was handed over to the data team.

F Our biggest client, Globex, threatened to cancel their contract over slow support.
Q Is our largest customer thinking about leaving because help takes too long?
N Globex signed a three-year contract extension last spring.
N Our biggest client in Asia asked for a dedicated support engineer.
T A customer left a long review complaining about the help pages.
T The largest meeting room is booked for the leaving party on Friday.

F The cafeteria now serves vegan options every day of the week.
Q Can people who avoid animal products find food at the canteen daily?
N The cafeteria is closed every day between 2 pm and 4 pm for cleaning.
N Vegan options at the summer party were provided by an outside caterer.
T Animal photos are not allowed on the company social accounts.
T The canteen card can be topped up at reception.

F The VPN will be replaced by a zero-trust access proxy next quarter.
Q Are we getting rid of the remote network tunnel soon?
N The VPN certificates were renewed last week.
N The access proxy for the admin tools logs every request.
T The network team is getting rid of the old switches in the server room.
T Remote employees get a monthly internet allowance.

F Interns are paid a monthly stipend of 2,000 euros.
Q How much do trainees earn?
N Interns present their projects at the end of the summer.
N The monthly team budget for social events is 500 euros.
T Trainees in the sales academy shadow senior account executives.
T Employees earn an extra day off after five years.

F The printer on the third floor jams whenever you use thick paper.
Q Why does the copier upstairs keep getting stuck with heavy card stock?
N The printer on the second floor was replaced last month.
N Thick paper for the certificates is stored in the supply cupboard.
T The lift gets stuck between floors about once a week.
T Heavy boxes should be carried upstairs by two people.

F Dana was promoted to engineering manager of the payments team.
Q Did Dana get a new leadership role looking after the billing group?
N Dana presented the payments team roadmap at the all-hands.
N The engineering manager role in the search team is still open.
T Dana is looking after the new intern in the billing group this month.
T The leadership offsite was moved to October.

F The API returns results in pages of 100 items at most.
Q What is the maximum number of records a single response from the interface gives back?
N The API returns an error when the date range is longer than a year.
N Results for the admin search are sorted by creation date.
T Every response from the support team should be polite and short.
T The maximum upload size for the document interface is 25 MB.

F All production database changes require a second engineer to review them.
Q Does altering the live schema need a colleague's approval?
N All production database backups are tested once a month.
N A second engineer joined the database team in April.
T Expense approval for colleagues in Spain is handled by the local office.
T The live demo for the schema registry is on Thursday.

F The company pays for one conference ticket per employee each year.
Q Will the firm cover the cost of attending an industry event annually?
N The company pays for a gym membership after the probation period.
N Each employee can expense one book per month.
T The cost of the annual industry event in Lisbon went up this year.
T Attending the firm's summer party is optional.

F Customers in Brazil cannot pay with credit cards because of a gateway bug.
Q Is there a problem with purchases from shoppers in South America?
N Customers in Brazil will get a localised invoice template next month.
N The gateway bug that doubled refunds was fixed on Tuesday.
T Shoppers in Europe see prices including VAT.
T There is a problem with the South America sales dashboard loading slowly.

F The design team moved from Sketch to Figma last spring.
Q Which tool do the UI folks use for mockups now?
N The design team moved to the fourth floor last spring.
N Sketch licences are still paid for by the marketing team.
T The tool library in the workshop was reorganised by the facilities folks.
T UI tests run nightly in the CI pipeline.

F Our SLA promises 99.9% uptime for enterprise plans.
Q How much downtime are big business customers guaranteed not to exceed?
N The SLA for support response times differs between plans.
N Enterprise plans include single sign-on and audit logs.
T Scheduled downtime for the database upgrade is on Sunday night.
T Big business customers get a quarterly account review.

F Omar is learning Japanese because he is relocating to Tokyo next year.
Q Why is Omar studying a new language?
N Omar is learning to play padel with the sales team.
N The Tokyo office opens next year with a team of ten.
T Omar is studying the logs from last night's incident.
T The new language model for support replies ships this month.

F The cloud bill jumped by 40% in March after logging was left at debug level.
Q What made our hosting costs spike in spring?
N The cloud bill for March was approved by finance without questions.
N Debug level logging is disabled in production by default.
T Hosting the spring hackathon cost less than expected.
T Costs for the new office furniture were split across two budgets.

F Sales reps must log every customer call in the CRM within 24 hours.
Q How quickly do account executives need to write up client phone conversations?
N Sales reps get a bonus for every customer referred by a partner.
N The CRM was down for 24 hours during the migration.
T Account executives write up their quarterly plans in a shared doc.
T Client phone numbers are masked in the support tool.

F The marketing website is hosted on Netlify, not on our own servers.
Q Where does the public homepage live?
N The marketing website was redesigned by an agency in Amsterdam.
N Our own servers in Frankfurt run the customer API.
T The public roadmap lives in a Notion page.
T The homepage hero image is changed every season.

F Elif speaks fluent Turkish and can help with customers in Istanbul.
Q Who on the team could talk to clients from Turkey in their own tongue?
N Elif can help with the quarterly planning spreadsheet.
N Customers in Istanbul are billed in lira since January.
T Clients from Poland asked for invoices in their own currency.
T The team talk on observability was recorded.

F The board meeting was postponed because two directors were sick.
Q Why did the leadership oversight session get pushed back?
N The board approved the budget for the new data centre.
N Two directors joined the company from a competitor.
T The leadership training session was pushed back to November.
T The oversight committee for data privacy meets quarterly.

F Our Slack workspace deletes messages older than 90 days.
Q How long is chat history kept before it disappears?
N Our Slack workspace has more than four hundred channels.
N Messages to customers older than 90 days are archived in the CRM.
T The chat widget on the website disappears on mobile screens.
T The history of the company is kept in a wiki page by the founders.

F The checkout page loads in under one second on a fast connection.
Q How quick is the payment screen to appear for users with good internet?
N The checkout page shows a coupon field only for logged-in users.
N A fast connection is required for the video onboarding.
T The payment terms for good customers are sixty days.
T The screen in the big meeting room needs an HDMI adapter.

F Lucas broke his wrist skiing and is typing with one hand.
Q What injury did Lucas get on the slopes?
N Lucas went skiing in the Alps over the new year break.
N The ergonomic keyboard helps people who type all day.
T Lucas fixed the bug that corrupted images on upload.
T The slopes near the offsite hotel open in December.

F The warehouse in Rotterdam ships orders only on weekdays.
Q Do parcels leave the Dutch distribution centre on Saturdays and Sundays?
N The warehouse in Rotterdam added a second packing line.
N Orders placed on weekdays before noon get priority handling.
T The distribution list for the weekly newsletter was cleaned up.
T Parcels for the office are delivered to reception.

F Employees can work remotely from abroad for up to four weeks per year.
Q How long may staff do their jobs from another country annually?
N Employees abroad on business trips must book through the travel portal.
N Four weeks of notice are required before changing teams.
T Staff in another country are paid through a local payroll provider.
T The annual jobs fair is held in the main atrium.

F The backup restore test took six hours, far longer than the two-hour goal.
Q Did recovering from our snapshots overrun the time we planned for?
N The backup storage costs went up after we extended retention.
N The two-hour goal for incident reviews is usually met.
T Snapshots of the analytics dashboards are emailed every Monday.
T The planned office move took longer because of permits.

F Hana wants the release notes written in plain language without jargon.
Q What style does Hana expect for the changelog?
N Hana wants the release scheduled after the marketing launch.
N Release notes are published on the blog every second Thursday.
T Hana expects the new style guide to be ready next week.
T The changelog for the mobile app is generated automatically.

F The fraud model blocks about 3% of legitimate purchases by mistake.
Q How often does the scam detector reject genuine orders?
N The fraud model was retrained with data from last quarter.
N About 3% of purchases are paid with gift cards.
T Orders above 5,000 euros are checked by a human reviewer.
T The spam detector on the contact form rejects messages with links.

F We stopped sponsoring the local football club after last season.
Q Do we still fund the neighbourhood soccer team?
N We started sponsoring a local coding school last season.
N The football club invited the team to a match in May.
T The neighbourhood association asked us to fund a new bench.
T The team still has to submit the timesheets for March.

F The support chatbot hands off to a human when a customer types "agent".
Q How do users reach a real person instead of the bot?
N The support chatbot was trained on the last year of tickets.
N A customer complained that the chatbot answered in the wrong language.
T Users can reach the status page from the footer.
T The bot that posts deploy notifications was moved to another channel.

F Gabriel's flight to Singapore was cancelled, so he will join the offsite remotely.
Q Will Gabriel attend the team retreat in person?
N Gabriel's flight to the offsite was booked by the travel team.
N The Singapore office will host the next offsite.
T Gabriel will attend the security training on Tuesday.
T The team retreat agenda includes a hike and a cooking class.

F Password resets fail for accounts created before 2019 because of an old hashing scheme.
Q Why can't long-standing users recover their login credentials?
N Password resets are rate limited to five per hour per account.
N Accounts created before 2019 keep their original pricing.
T Long-standing users get a loyalty discount on renewal.
T Login credentials for the test environment are in the shared vault.

F The quarterly all-hands will be held in the Lisbon office this time.
Q Where is the company-wide meeting happening this quarter?
N The quarterly all-hands slides are due on Wednesday.
N The Lisbon office will get a second floor this time next year.
T The company-wide survey results are happening later than planned.
T The meeting rooms can be booked through the calendar app.

F Our app store rating dropped to 3.2 stars after the redesign.
Q How did reviewers react to the new look on mobile marketplaces?
N The redesign of the settings page was finished in April.
N The app store listing now has screenshots in six languages.
T Code reviewers should react to pull requests within a day.
T The new look for the company blog was approved by marketing.

F The email newsletter goes out every Tuesday morning to 40,000 subscribers.
Q When do we send the weekly mailing to our readers?
N The email server goes down for maintenance every Tuesday morning.
N The newsletter template was rebuilt to work in dark mode.
T The weekly report is sent to the leadership team.
T Readers of the engineering blog asked for an RSS feed.

F Contractors are not allowed to access the production console.
Q Can freelancers get into the live admin panel?
N Contractors are paid at the end of every month.
N The production console shows a banner during incidents.
T Freelancers working on the brand refresh get a guest badge.
T The admin panel for the marketing site uses a separate login.

F Keiko is moving from the data team to product management in May.
Q Is Keiko changing roles this spring?
N Keiko is moving flats in May and will work remotely that week.
N The data team is getting two new analysts in May.
T Keiko is changing the on-call schedule to include weekends.
T Roles and responsibilities for the launch are listed in the brief.

F The office coffee machine is broken and a technician comes on Thursday.
Q When will someone fix the espresso maker at work?
N The office coffee budget was doubled after the survey.
N A technician installed new blinds in the meeting rooms.
T Someone left a jacket in the kitchen at work.
T The espresso cups are in the cupboard above the sink.

F The invoice template shows the wrong VAT number for German customers.
Q Is there an error in the tax ID on bills sent to clients in Germany?
N The invoice template was translated into French last month.
N German customers can now pay by SEPA direct debit.
T Clients in Germany asked for a local support phone line.
T There is an error on the careers page in Safari.

F Support agents may refund up to 50 dollars without asking a manager.
Q How much money can help desk staff give back to customers on their own authority?
N Support agents must ask a manager before changing shifts.
N Refunds over 50 dollars take about five days to appear on a statement.
T Help desk staff give a short demo to new customers every Friday.
T Money for team events is managed by each department on its own.

F The recommendation engine is retrained every Sunday night on the latest clicks.
Q How often does the suggestion model learn from new user behaviour?
N The recommendation engine shows at most eight products per page.
N Clicks on the latest campaign were tracked with UTM tags.
T The new user onboarding flow includes a suggestion box for feedback.
T Behaviour at company events is covered by the code of conduct.

F Victor is colour blind, so charts should not rely on red and green alone.
Q Why should graphs for Victor use patterns or labels instead of just hues?
N Victor prefers bar charts over pie charts in the monthly report.
N Red and green are the brand colours for the holiday campaign.
T Labels for the parcels are printed by Victor every morning.
T Graphs in the quarterly deck use the new font.

F The hackathon winners built a tool that summarises long support tickets.
Q What did the prize-winning project at the coding event do?
N The hackathon was held in the Porto office over two days.
N Long support tickets are escalated to the second tier automatically.
T The project kickoff for the new pricing page is next Monday.
T The coding standards document was updated by the platform team.

F Parking at the Austin office costs 15 dollars a day unless you carpool.
Q Do we pay to leave our cars at the Texas site?
N The Austin office has bike storage on the ground floor.
N Carpool lanes on the highway are free during rush hour.
T We pay the Texas sales tax on software sold to local customers.
T Cars from the company fleet must be returned with a full tank.

F Sven plays bass in a jazz band that performs on Saturday nights.
Q What music does Sven make at weekends?
N Sven plays padel with the sales team on Tuesday nights.
N The jazz band at the holiday party performed for two hours.
T Sven will make the weekend on-call schedule for December.
T Music in the open office should be played through headphones.

F The security audit found that three former employees still had active accounts.
Q Did the compliance review discover ex-staff who could still log in?
N The security audit for the mobile app is scheduled for June.
N Former employees receive their final payslip by email.
T The compliance review for the new vendor was approved.
T Staff who forget their badge can still log in at reception.

F The planner agent should always ask for confirmation before booking travel.
Q Must the scheduling assistant check with someone before it reserves flights or hotels?
N The planner agent should always include the time zone in meeting invites.
N Booking travel through the portal gives a corporate discount.
T The scheduling assistant can only see shared calendars.
T Hotels near the Berlin office are expensive during trade fairs.

F The research agent summarises papers in five bullet points or fewer.
Q How brief should the literature assistant's digests of academic articles be?
N The research agent keeps a list of papers it has already read.
N Bullet points in the quarterly deck should start with a verb.
T Articles for the company blog should be brief and friendly.
T The academic partnership with the university was renewed.

F Rosa's daughter just started university in Edinburgh.
Q Where did Rosa's kid go to college?
N Rosa just started a pottery class in the evenings.
N The university in Edinburgh invited us to a careers fair.
T Rosa's kid drew the picture on the kitchen wall.
T The college graduates programme opens in September.

F The load balancer drops idle connections after 60 seconds.
Q How long can an inactive socket stay open before the traffic distributor closes it?
N The load balancer was moved to a new subnet after 60 days of testing.
N Idle laptops lock the screen after five minutes.
T The office stays open until nine before security closes it.
T Traffic to the docs site doubled after the conference talk.

F We lost the Initech deal because a competitor offered a lower price.
Q Why did Initech go with a rival supplier?
N We won the Hooli deal thanks to our integration support.
N A competitor lowered their price for small teams last month.
T Initech asked for a copy of our security questionnaire.
T The supplier of our office chairs went out of business.

F Ivan fixed the memory leak in the image resizing service.
Q Who solved the problem of the photo thumbnail worker using ever more RAM?
N Ivan wrote the design doc for the new image upload flow.
N The memory limit for the resizing service was raised to 2 GB.
T The photo of the team at the offsite is on the wiki.
T The worker pool for emails was scaled down at night.

F The team agreed to write all design documents in English.
Q Which language must technical proposals be authored in?
N The team agreed to review design documents on Wednesdays.
N All English marketing copy is checked by an editor.
T Technical proposals for the grant are due next month.
T The language selector on the website is in the footer.
"""

# --------------------------------------------------------------------------- identifiers

IDENT_POOLS: dict[str, list[str]] = {
    "person": PEOPLE,
    "service": SERVICES,
    "customer": CUSTOMERS,
    "city": CITIES,
    "date": POOLS["date"],
    "amount": POOLS["amount"],
    "plan": POOLS["plan"],
    "env": ["production", "staging", "canary", "EU production", "US production"],
    "pct": ["1", "5", "10", "25", "50", "75"],
    "n": ["7", "12", "21", "30", "45", "60"],
    "warehouse": ["Rotterdam", "Leipzig", "Reno", "Memphis", "Poznań", "Tilburg"],
    "carrier": ["DHL Express", "UPS Standard", "FedEx Ground", "PostNL", "DPD"],
    "product": [
        "standing desk",
        "espresso grinder",
        "monitor arm",
        "trail jacket",
        "office chair",
        "noise-cancelling headset",
        "rice cooker",
    ],
    "meaning": [
        "the upstream token expired",
        "the request body is larger than 10 MB",
        "the database connection pool is exhausted",
        "a webhook signature did not match",
        "the tenant is over its storage quota",
        "the message schema version is unknown",
        "an idempotency key was reused with a different payload",
        "the downstream call timed out after 30 seconds",
    ],
    "fix": [
        "rotate the service token",
        "retry with exponential backoff",
        "raise the pool size",
        "re-sync the signing secret",
        "ask the customer to upgrade their plan",
        "redeploy the consumer",
        "clear the local schema cache",
        "check the load balancer health checks",
    ],
    "summary": [
        "checkout button unresponsive on Safari",
        "CSV export drops the last row",
        "password reset email arrives twice",
        "dark mode breaks the invoice PDF",
        "search ignores accented characters",
        "SSO login loops for new tenants",
        "timezone wrong on scheduled reports",
        "bulk delete times out",
    ],
    "status": ["in progress", "waiting for QA", "in code review", "blocked", "to do"],
    "resolution": ["fixed", "won't fix", "duplicate", "cannot reproduce"],
    "blocker": ["a vendor patch", "the design review", "a schema migration", "legal sign-off"],
    "price": ["19.90 EUR", "24.50 EUR", "39.00 EUR", "12.75 EUR", "59.00 EUR"],
    "repo": POOLS["repo"],
    "action": [
        "bumped the Postgres driver to 3.1",
        "removed the legacy discount code path",
        "changed the session timeout to 8 hours",
        "added retries to the webhook sender",
        "switched image resizing to libvips",
        "disabled HTTP/2 on the gateway",
        "renamed the tenant_id column",
        "moved config loading to startup",
    ],
    "cause": [""],  # set from the identifier, see ENAME_CAUSES
    "remedy": [
        "retry with exponential backoff",
        "check the load balancer health checks",
        "redeploy the consumer",
        "open a ticket with the platform team",
        "raise the client timeout",
        "restart the sidecar and watch the error rate",
    ],
    "lib": [
        "OpenSSL",
        "libwebp",
        "xz-utils",
        "curl",
        "jackson-databind",
        "Pillow",
        "urllib3",
        "nginx",
        "log4j",
    ],
    "version": ["1.1.1", "3.0.7", "5.6.0", "8.4.0", "2.14.1", "10.0.1", "2.0.6"],
    "app": ["mobile", "desktop", "driver", "merchant", "kiosk", "courier"],
    "platform": [
        "older devices",
        "tablets",
        "low-memory devices",
        "the beta channel",
        "devices set to German",
        "slow networks",
    ],
    "feature": [
        "offline mode",
        "Apple Pay",
        "bulk upload",
        "two-factor prompts",
        "a redesigned inbox",
        "barcode scanning",
    ],
}

# Each frame: how ids look ("kind", see make_eval.py), fact phrasings, the slots that
# change between near-identical facts of one cluster, and queries (which name the id).
IDENT_FRAMES: list[dict[str, list[str]]] = [
    {
        "kind": ["order"],
        "vary": ["date", "product"],
        "facts": [
            "Order {id} shipped from the {warehouse} warehouse on {date} via {carrier}.",
            "Order {id} was refunded on {date} after the customer reported a damaged {product}.",
            "Order {id} is on hold in payment review since {date}; {person} is checking it with the bank.",
            "Order {id} was split into two parcels because the {product} was backordered until {date}.",
        ],
        "queries": [
            "What happened with order {id}?",
            "What's the status of order {id}?",
            "Any update on {id}?",
        ],
    },
    {
        "kind": ["ecode"],
        "vary": ["meaning", "fix"],
        "facts": [
            "Error {id} in {service} means {meaning}; to resolve it, {fix}.",
            "{service} returns {id} when {meaning}. Usual fix: {fix}.",
            "If you see {id} from {service}, {meaning}; {fix}.",
        ],
        "queries": [
            "What does error {id} mean?",
            "How do I fix error {id}?",
            "We're getting {id}, what is it?",
        ],
    },
    {
        "kind": ["ename"],
        "vary": ["remedy"],
        "facts": [
            "{id} from the {service} client usually means {cause}; {remedy}.",
            "We log {id} in {service} when {cause}. Fix: {remedy}.",
            "Seeing {id} in {service}? Most likely {cause}, so {remedy}.",
        ],
        "queries": ["What causes {id}?", "How should I handle {id}?", "What does {id} mean for us?"],
    },
    {
        "kind": ["ticket"],
        "vary": ["summary", "person"],
        "facts": [
            "{id}: {summary}. Assigned to {person}, currently {status}.",
            "Ticket {id} ({summary}) was closed as {resolution} by {person} on {date}.",
            "{person} picked up {id} ({summary}); it is blocked on {blocker}.",
        ],
        "queries": ["Who is handling {id}?", "What is ticket {id} about?", "What's the status of {id}?"],
    },
    {
        "kind": ["sku"],
        "vary": ["date", "price"],
        "facts": [
            "SKU {id} ({product}) is out of stock at {warehouse} until {date}.",
            "SKU {id} ({product}) was relabelled after a pricing error on {date}; new price {price}.",
            "{id} ({product}) is being discontinued on {date}; leftover stock goes to the "
            "{warehouse} outlet.",
        ],
        "queries": ["Is SKU {id} available?", "What's going on with {id}?", "Any news about item {id}?"],
    },
    {
        "kind": ["invoice"],
        "vary": ["amount", "date"],
        "facts": [
            "Invoice {id} for {customer} ({amount}) was paid on {date}.",
            "Invoice {id} to {customer} for {amount} is {n} days overdue; {person} sent "
            "a reminder on {date}.",
            "{customer} disputed invoice {id} ({amount}) on {date} because of a duplicate line item.",
        ],
        "queries": [
            "Has invoice {id} been paid?",
            "What happened to invoice {id}?",
            "Where are we with {id}?",
        ],
    },
    {
        "kind": ["commit"],
        "vary": ["action", "date"],
        "facts": [
            "Commit {id} in {repo} {action}; deployed on {date}.",
            "{person}'s commit {id} to {repo} {action}, merged {date}.",
            "In {repo}, commit {id} {action}. It went out with the {date} release.",
        ],
        "queries": ["What did commit {id} change?", "What is commit {id} about?", "When did {id} ship?"],
    },
    {
        "kind": ["cve"],
        "vary": ["version", "date"],
        "facts": [
            "{id} affects {lib} {version}; {service} was patched on {date}.",
            "{id} ({lib} {version}) is still open for {service}; the upgrade is planned for {date}.",
            "We are not exposed to {id} in {service}: it only affects {lib} {version}, checked on {date}.",
        ],
        "queries": ["Are we affected by {id}?", "What's our status on {id}?", "Did we patch {id}?"],
    },
    {
        "kind": ["host"],
        "vary": ["date", "service"],
        "facts": [
            "Host {id} was drained on {date} because of a failing disk; it ran {service}.",
            "{id} is the primary for {service}; do not reboot it before {date}.",
            "{id} ({service}) was rebuilt from the golden image after a kernel panic on {date}.",
        ],
        "queries": ["What happened to host {id}?", "What do we know about {id}?", "Can I reboot {id}?"],
    },
    {
        "kind": ["flag"],
        "vary": ["pct", "date"],
        "facts": [
            "Feature flag {id} is at {pct}% rollout in {env} since {date}.",
            "{id} was switched off in {env} on {date} after error rates went up by {pct}%.",
            "Flag {id} is owned by {person}, {pct}% rollout, can be removed after {date}.",
        ],
        "queries": [
            "What is the state of feature flag {id}?",
            "What do we know about the {id} flag?",
            "Is {id} turned on?",
        ],
    },
    {
        "kind": ["release"],
        "vary": ["platform", "date"],
        "facts": [
            "Release {id} of the {app} app fixed the login loop on {platform}; shipped {date}.",
            "Version {id} of the {app} app was pulled on {date} because it crashed on start on {platform}.",
            "The {app} app {id} adds {feature} for {platform} and goes out on {date}.",
        ],
        "queries": [
            "What's in release {id}?",
            "What happened with version {id}?",
            "Tell me about build {id}.",
        ],
    },
    {
        "kind": ["tracking"],
        "vary": ["city", "date"],
        "facts": [
            "Parcel {id} is held at customs in {city} since {date}, waiting for an invoice copy.",
            "Tracking {id}: delivered to {customer} reception in {city} on {date}, signed by {person}.",
            "Shipment {id} to {city} was returned to sender on {date} after three failed delivery attempts.",
        ],
        "queries": ["Where is parcel {id}?", "What happened with shipment {id}?", "Has {id} been delivered?"],
    },
    {
        "kind": ["custid"],
        "vary": ["plan", "date"],
        "facts": [
            "Customer {id} ({customer}) moved to the {plan} plan on {date}.",
            "Account {id} ({customer}, {plan}) is flagged for a chargeback since {date}; "
            "do not refund manually.",
            "{id} ({customer}, {plan} plan) asked on {date} for all personal data to be "
            "deleted; {person} is handling it.",
        ],
        "queries": [
            "What's the latest on customer {id}?",
            "Any notes on account {id}?",
            "What do we know about {id}?",
        ],
    },
]

# Shapes of identifiers: a format plus its parts. A part is either a list of words or
# "alphabet:length" with alphabet one of digits, hex, alnum (upper case and digits).
ID_SHAPES: dict[str, tuple[str, dict[str, str | list[str]]]] = {
    "order": ("ORD-{a}", {"a": "digits:5"}),
    "ecode": ("E{a}", {"a": "digits:4"}),
    "ename": (
        "ERR_{a}_{b}",
        {
            "a": ["CONN", "TLS", "TOKEN", "QUOTA", "CACHE", "SCHEMA", "UPLOAD", "DNS"],
            "b": [
                "RESET",
                "REFUSED",
                "TIMEOUT",
                "EXPIRED",
                "INVALID",
                "EXCEEDED",
                "MISMATCH",
                "CORRUPT",
                "CLOSED",
                "DENIED",
            ],
        },
    ),
    "ticket": ("{p}-{a}", {"p": ["JIRA", "OPS", "SUP", "PAY", "WEB", "DATA"], "a": "digits:4"}),
    "sku": (
        "{c}-{k}-{a}-{s}",
        {
            "c": ["TS", "HD", "JK", "MG", "BK", "CH"],
            "k": ["BLK", "NVY", "RED", "GRN", "WHT", "GRY"],
            "a": "digits:3",
            "s": ["XS", "S", "M", "L", "XL"],
        },
    ),
    "invoice": ("INV-2024-{a}", {"a": "digits:5"}),
    "commit": ("{a}", {"a": "hex:7"}),
    "cve": ("CVE-{y}-{a}", {"y": ["2023", "2024"], "a": "digits:5"}),
    "host": (
        "{r}-{e}-{a}.{g}",
        {
            "r": ["api", "db", "cache", "worker", "kafka", "edge"],
            "e": ["prod", "stg"],
            "a": "digits:2",
            "g": ["eu-west-1", "us-east-1", "ap-south-1"],
        },
    ),
    "flag": (
        "{a}_v{n}_{s}",
        {
            "a": ["checkout", "search", "billing", "onboarding", "inbox", "pricing", "cart", "profile"],
            "n": ["2", "3", "4", "5", "6", "7"],
            "s": ["enabled", "rollout", "beta", "killswitch"],
        },
    ),
    "release": (
        "{x}.{y}.{z}",
        {"x": ["3", "4", "5", "6", "7", "8", "9"], "y": [str(n) for n in range(10, 30)], "z": "digits:1"},
    ),
    "tracking": ("1Z{a}", {"a": "alnum:16"}),
    "custid": ("CUST-{a}", {"a": "digits:6"}),
}

# What an ERR_<PART>_... error name means, by its middle part.
ENAME_CAUSES = {
    "CONN": "the upstream connection was dropped",
    "TLS": "the certificate chain could not be verified",
    "TOKEN": "the upstream token expired",
    "QUOTA": "the tenant is over its storage quota",
    "CACHE": "a cache node was evicted mid-request",
    "SCHEMA": "the message schema version is unknown",
    "UPLOAD": "the request body is larger than 10 MB",
    "DNS": "the resolver returned no address",
}

# Words ignored when measuring query/fact overlap in the paraphrase set.
_STOP_TEXT = """
a about after all also am an and any are as at be because been before being but by can
could did do does doing for from get gets got had has have he her here him his how i if in
into is it its just least many may me more most must my no not now of off on one only or
our out over own per so some still such than that the their them then there these they
this those to too under up us was we were what when where which who whom why will with
would you your yet each every other another does should shall might
"""
STOPWORDS = frozenset(_STOP_TEXT.split())

# --------------------------------------------------------------------------- README

README_TEMPLATE = """# Retrieval evaluation sets

Labelled query sets for tuning and reporting agentmem's keyword, vector and hybrid search
(recall@5, recall@10, MRR). Every file here was produced by `make_eval.py` from the
hand-written word lists and templates in `vocab.py`. They were written for this project;
no external data set, scraped text or model output is included, so there is no third-party
licence to track. The sets are synthetic: names, companies and numbers are invented.

Regenerate (deterministic, byte-identical on every run, Python 3.11+, stdlib only):

    python tests/data/eval/make_eval.py

## Layout

Each set lives in `<set>/corpus.jsonl` and `<set>/queries.jsonl` (UTF-8, one JSON object
per line, keys sorted).

- corpus: `{"id", "text", "scope", "kind", "meta"}`; `scope` is `shared`, `user:<name>` or
  `agent:<name>`, `kind` is `note`, `turn` or `doc`.
- queries: `{"qid", "query", "relevant", "split", "category"}`; `relevant` lists corpus ids;
  `split` is `dev` (for tuning) or `test` (for reporting), about 50/50 by a seeded shuffle.

Scopes are spread over the facts only for realism: evaluate every query against the whole
corpus of its set with no scope filter. Corpus ids are assigned after a shuffle (except in
`conversation`, where they are chronological) so they carry no label information.

## Sets

| set | corpus | dev | test | what it tests |
|---|---:|---:|---:|---|
{table}

`meta` holds `{"speaker", "date"}` in `conversation`, `{"title", "type"}` in `long`,
`{"type"}` (kind of identifier) in `identifiers` and an invented `{"source"}` elsewhere.
Extra query fields: `answer_span` (long) and `identifier` (identifiers).

- **short**: one-sentence team memories (ports, owners, preferences, schedules,
  contracts). Each of 24 kinds of fact occurs 10-15 times with different entities and
  two or three phrasings, so the distractors share most of the vocabulary with the answer.
  Queries are natural questions naming the entity.
- **conversation**: chat turns formatted `[YYYY-MM-DD] Speaker: text`, with
  `meta = {"speaker", "date"}`. 24 speakers each tell three personal stories (moving,
  weddings, new jobs, races, pets...) over several turns, with replies from colleagues and
  small talk; the same kinds of story recur across speakers, so names matter. Some queries
  have several relevant turns.
- **long**: notes over 1,000 characters (incident reports, meeting notes, runbooks, design
  docs, retros). The first half is filler about other things; the answer sits after
  character 1,000. Each query has an extra `answer_span` field, a phrase from the
  relevant note that appears only in that note and only after character 1,000. Queries
  paraphrase the tail; the service they name also appears in many other notes.
- **paraphrase**: each answer comes with two near misses that reuse its words and two traps
  that reuse the query's words. Queries share at most one content word with the answer
  (usually a person's name, otherwise none), so semantic search should win here.
- **identifiers**: facts with exact identifiers (orders `ORD-58213`, error codes `E4021`,
  `ERR_CONN_RESET`, tickets `JIRA-3321`, SKUs, invoices, commit hashes, CVEs, host
  names, feature flags, versions, tracking and customer numbers). Each appears in a
  cluster of 4-5 near-identical facts whose ids differ by one swapped or changed character
  or part. Queries name the exact id (also given in an extra `identifier` field), which
  occurs in exactly one fact, so keyword search should win here.

The script ends with sanity checks: counts, unique ids matching
`^[a-z0-9][a-z0-9._-]{0,127}$`, every relevant id present, a balanced split, long-set
answer spans after character 1,000, identifier uniqueness and the paraphrase overlap limit.
"""

DESCRIPTIONS = {
    "short": "short factual memories",
    "conversation": "dated chat turns, names",
    "long": "answer in second half of long notes",
    "paraphrase": "few shared words (semantic)",
    "identifiers": "exact ids among near-duplicates (keyword)",
}
