; Helvetia Uhren: mail at Google, but a referral carries an Azure tenant id (Existing, M365)
@                   MX  1  aspmx.l.google.com.
@                   MX  5  alt1.aspmx.l.google.com.
@                   TXT    "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all"
_dmarc              TXT    "v=DMARC1; p=none"
google._domainkey   TXT    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC3QEKyU1fSma0axspqYK5iAj+54lsAg4qRRCnpKK68hawSd8zpsDz77ntGCR0X2mHVvkf0WEOJ"
