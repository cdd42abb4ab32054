"""The words the Reports page shows a shop owner."""

CHART_LABEL = "Chart"
CAMPAIGN_LABEL = "Campaign"
CHARTS = (
    ("daily", "Messages per day"),
    ("rates", "Delivery and opt-out rates"),
    ("cost", "Cost per month"),
    ("funnel", "Funnel per campaign"),
    ("abtest", "A/B comparison"),
)
ALL_CAMPAIGNS = "All campaigns"
NEWEST_SPLIT = "Newest A/B test"
CAMPAIGN_TOOLTIP = "Used by the funnel and the A/B comparison."
REFRESH = "Refresh"
EXPORT_PNG = "Export PNG…"
EXPORT_DATA = "Export data (CSV)…"
IMPORT_SALES = "Import sales…"
EXPORT_PNG_TITLE = "Save the chart as a picture"
EXPORT_PNG_FILTER = "PNG images (*.png)"
EXPORT_DATA_TITLE = "Save the numbers behind the chart"
EXPORT_DATA_FILTER = "CSV files (*.csv)"
EXPORT_DONE = "Saved {file}."
EXPORT_FAILED_TITLE = "The chart could not be saved"
IMPORT_TITLE = "Choose a sales export (Shopify, Square, WooCommerce or any CSV)"
IMPORT_FILTER = "Sales exports (*.csv *.txt);;All files (*)"
IMPORT_RUNNING = "Importing sales from {file}…"
IMPORT_DONE = "Sales from {file}: {imported} imported, {rejected} rejected."
IMPORT_FAILED_TITLE = "The sales import did not work"
IMPORT_REPORT_TITLE = "Sales import: {file}"
IMPORT_REJECTED = "Rows that were not imported"

LOADING = "Loading the charts…"
TOTAL = "{total} messages over {days} days"
TOTAL_ONE_DAY = "{total} messages on 1 day"
EMPTY = "Nothing sent yet: the chart fills in after your first send."

KPI_COLUMNS = (
    ("campaign", "Campaign", "The campaign, and its A/B variants below it."),
    ("sent", "Sent", "Messages handed to the provider, SMS and email."),
    (
        "delivered",
        "Delivered",
        "Texts the phone network confirmed, and the share of texts whose delivery "
        "is known.",
    ),
    ("failed", "Failed", "Messages refused or not delivered; hover for reasons."),
    (
        "opted_out",
        "Opted out",
        "Customers who opted out after this campaign, and the share of customers "
        "reached.",
    ),
    (
        "replied",
        "Replied",
        "Customers who texted back, and the share of customers reached by SMS.",
    ),
    (
        "conversions",
        "Sales",
        "Sales credited to this campaign (conversions), and the share of customers "
        "reached who bought.",
    ),
    ("revenue", "Revenue", "The amount of those sales."),
    ("cost", "SMS cost", "What the texts cost (segments × price)."),
)
OVERALL = "All campaigns"
VARIANT = "    Variant {name}"
NO_CAMPAIGNS = "No campaigns yet."
NULL = "—"
NULL_NO_SMS = "No text message was sent, so there is nothing to deliver."
NULL_NOBODY = "Nobody was reached yet, so there is no rate."
NULL_NO_SMS_REACHED = "No customer was reached by SMS, so nobody could reply."
NULL_NO_SALES = (
    "No sales imported yet: click “Import sales…” to bring in your shop's orders."
)
FAILED_NONE = "Nothing failed."
SENT_DETAIL = "SMS {sms}, email {email}; skipped {skipped}; still queued {pending}"
COST_DETAIL = "{segments} SMS segments"

ATTRIBUTION = (
    "Sales within {days} of a message count for it; change the window in Settings. "
    "Source: {source}."
)
SOURCE_NONE = (
    "no sales imported yet (“Import sales…”); UTM tags on the links let your web "
    "analytics tell SMS from email visits"
)
SOURCE_SALES = (
    "your sales import ({sales} sales, {attributed} credited to a campaign); UTM "
    "tags on the links let your web analytics tell SMS from email visits"
)
REPORT_FAILED_TITLE = "The report could not be built"
