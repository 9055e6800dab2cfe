package main

// keyForms ends the message of a KEY of create that is of no known form:
// the three forms, spelled out here as a user reads them.
const keyForms = "an AWS KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>), " +
	"an Azure Key Vault key URL (https://<vault>.vault.azure.net/keys/<name>) or " +
	"a Cloud KMS key id (projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>, optionally with /cryptoKeyVersions/<version>)"
