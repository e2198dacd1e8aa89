; Vistula Logistics: Google Workspace with SPF only (Cold, low intent)
@                   MX  1  smtp.google.com.
@                   TXT    "v=spf1 include:_spf.google.com ~all"
