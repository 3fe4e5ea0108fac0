/**
 * Every text this client writes itself, in English, by key: `errors.<key>` for messages,
 * `advice.<key>` for advice (Zoho's codes and ours), `values.<key>` for descriptions used inside
 * messages, `caps.<reason>` for the limits a read can reach. Errors and results carry the key and
 * parameters next to the English, so the nodes can show them in Node-RED's language from the
 * catalogs locales/<lang>/zoho-errors.json (whose en-US holds exactly these texts; a test checks).
 * Placeholders are written __name__, as in Node-RED's catalogs. Zoho's own messages are not here:
 * they stay as Zoho sent them.
 */
export const TEXTS = {
  errors: {
    unexpected: "unexpected error",
    unexpectedFailure: "unexpected failure",
    // Connection and settings
    noConnection: "no Zoho connection configured",
    accountsUrl: "the connection's accounts URL is not an absolute http(s) URL",
    missingCredentials: "Client ID or Client Secret is missing",
    noRefreshToken: "no refresh token stored",
    notDeployed: "this connection is not deployed yet",
    propertyType: 'unsupported property type "__type__"',
    unknownOperation: 'unknown operation "__operation__"',
    tooLong: "__name__ is too long (__length__ characters)",
    // Modules, fields, ids
    noModule: "no module given",
    notModuleName: '"__name__" is not a module API name',
    fieldsType: "fields must be a comma-separated string or an array of field API names",
    fieldsNotStrings: "fields must be field API names (strings)",
    notFieldName: '"__name__" is not a field API name',
    tooManyFields: "too many fields (__number__)",
    idNotExact: "record ids must be strings: a JavaScript number cannot hold an 18-19 digit Zoho id exactly",
    noRecordId: "no record id given",
    notRecordId: '"__id__" is not a Zoho record id (digits only)',
    // Reading
    maxRecords: "maxRecords must be a whole number of 0 or more (0 = all)",
    perPage: "perPage must be a whole number from 1 to 200",
    modifiedSinceType: "modifiedSince must be an ISO 8601 date-time, a Date or epoch milliseconds",
    modifiedSince:
      "modifiedSince must be an ISO 8601 date-time (e.g. 2024-05-10T14:10:47+05:30), a Date or epoch milliseconds (e.g. 1715331047000)",
    sortBy: "sortBy must be id, Created_Time or Modified_Time (Zoho sorts lists by these only)",
    sortOrder: "sortOrder must be asc or desc",
    cvid: "cvid must be the numeric id of a custom view",
    cvidWithSortBy: "Zoho cannot combine a custom view (cvid) with sortBy; the view's own sort applies",
    // Search
    noSearchValue: "no search __by__ given",
    searchValueNotText: "the search __by__ must be text",
    searchNotString: "search __by__ must be a string",
    searchCriteriaType: "search criteria must be a criteria string, an object of field values or an array of conditions",
    searchNeeds: "search needs criteria, email, phone or word",
    noSearchCriteria: "no search criteria given",
    noCriteria: "no criteria given",
    criteriaType: "criteria must be a string, an object or an array of conditions",
    criteriaCondition: "each criteria condition must be [field, operator, value] or {field, operator, value}",
    criteriaOperator: "a criteria operator must be text, e.g. equals",
    tooManyCriteria: "Zoho's search takes at most 10 criteria",
    notOperator: '"__operator__" is not a search operator',
    criteriaList: "the values for __field__ must be a list of 1 to 100 values",
    criteriaValue: "the value for __field__ must be text, a number, a boolean or a date",
    // COQL
    noCoqlQuery: "no COQL query given",
    noCoqlQueryInNode: "no COQL query given (set Query in the node or the msg property it names)",
    coqlTooLong: "the COQL query is too long",
    queryTooLong: "the query is too long (__length__ characters)",
    coqlSelect: "a COQL query starts with select",
    coqlOffset: "COQL reaches at most __reach__ rows; OFFSET __offset__ is beyond that",
    queryParamsType: 'msg.queryParams must be an object of named values, e.g. {"email": "a@b.com"} for :email',
    queryParamMissing: "the query uses :__name__ but msg.queryParams has no value for it",
    coqlList: ":__name__ must be a list of 1 to 100 values (COQL's in)",
    coqlFlatList: ":__name__ must be a flat list of values",
    coqlValue: ":__name__ must be text, a number, a boolean, null, a date or a list of those",
    // Writing
    unknownWriteOperation: 'unknown operation "__operation__" (use create, update, upsert or delete)',
    recordsNotArray: "records must be an array",
    batchSize: "batchSize must be 1 to __max__",
    triggerType: 'trigger must be an array such as ["workflow"], [] for none, or unset for Zoho\'s default',
    unknownTrigger: 'unknown trigger "__trigger__" (use __triggers__)',
    duplicateCheckFields: "duplicate-check fields must be field API names, comma-separated",
    payloadDelete: "msg.payload must be a record id, a record with an id, or an array of them; got __got__",
    payloadRecords: "msg.payload must be a record object or an array of records; got __got__",
    expectedIdOrRecord: "expected a record id (string) or an object with an id, got __got__",
    expectedRecord: "expected a record object, got __got__",
    valueNotStorable: "__field__ is __value__, which Zoho cannot store",
    valueType: "__field__ is a __type__, which cannot be sent to Zoho",
    tooDeep: "the record is nested more than __max__ levels deep",
    invalidDate: "__field__ is an invalid date",
    notJsonValue: "__field__ is __value__, which cannot be sent to Zoho as JSON",
    forbiddenKey: 'the record contains the key "__key__", which is not allowed',
    missingId: "no id: the record's Zoho id is needed in `id`",
    idTooLarge: "id __id__ is a number too large to be exact",
    bigintNotId: "id __id__ is not a Zoho record id",
    idNotDigits: 'id "__id__" is not a Zoho record id (digits only)',
    idType: "id must be a string of digits, got __got__",
    duplicateId: "not sent: the same id is at index __index__ of this message, which deletes the record",
    noResult: "no result was recorded for this record",
    noRecordResults: "Zoho answered HTTP __status__ without per-record results",
    resultCount: "Zoho answered with __results__ results for __records__ records, so they cannot be matched",
    noResultForRecord: "Zoho's answer has no result for this record",
    resultNotUnderstood: "Zoho's result for this record is not understood",
    notSentOtherBatch: "not sent: another batch of this message failed with __code__ (__message__)",
    notSentStopped: "not sent: the flow was stopped or redeployed before this batch was sent",
    stoppedWhileSending: "the flow was stopped or redeployed while this batch was being sent; Zoho may or may not have written it",
    outcomeUnknownHttp: "Zoho answered HTTP __status__ (__code__: __message__); the batch may or may not have been written and was not sent again",
    outcomeUnknown: "__code__: __message__; the batch may or may not have been written and was not sent again",
    stoppedWriting:
      "stopped (flow stopped or redeployed) while writing __total__ records: __written__ written, __notSent__ not sent, __unknown__ with unknown outcome (check those in Zoho), __rejected__ rejected",
    // Requests and tokens
    notJson: "the request cannot be sent as JSON",
    apiPath: "invalid API path",
    urlTooLong: "the request is too long for Zoho (__length__ characters in the URL)",
    timeout: "no answer within the time limit",
    cancelled: "request cancelled",
    cannotConnect: "cannot connect (__code__)",
    connectionFailed: "connection failed",
    connectionFailedCode: "connection failed (__code__)",
    noRefreshTokenReturned: "Zoho returned an access token but no refresh token",
    refreshTokenRejected: "Zoho rejected the stored refresh token",
    accountsHttp: "accounts server answered HTTP __status__",
    accountsNoToken: "accounts server answered HTTP __status__ without an access token",
    tokenWithdrawn: "the access token was withdrawn during the refresh",
    tokenThrottled: "Zoho throttled token requests; next attempt in __seconds__ s",
    tokenRequestFailed: "token request failed",
    noApiDomain: "the accounts server returned no api_domain",
    untrustedApiDomain: "refusing to send tokens to __host__",
    apiDomainNotHttp: "the api_domain is not an http(s) URL",
    // Triggers and watch channels
    idList: "ids must be a list of 1 to 100 record ids",
    triggerPosition: "the trigger position is not valid for this module",
    triggerKinds: "choose at least one of create, update and delete",
    triggerFields: "the trigger needs the fields to read",
    noEvents: "no event chosen",
    interval: "the interval must be at least __seconds__ seconds",
    startFrom: 'start "__value__" is not now, all or an ISO 8601 date-time',
    channelId: "the channel id must be digits below 2^53",
    channelToken: "the channel token must have 1 to 50 characters",
    watchAnswer: "Zoho answered HTTP __status__ to the watch request",
    // Bulk Read and Bulk Write
    bulkCriteria: "bulk criteria must be an object of field values, or Zoho's Bulk Read criteria ({field: {api_name}, comparator, value} or {group_operator, group})",
    bulkJobAnswer: "Zoho's answer about bulk job __id__ is not understood",
    bulkJobFailed: "Zoho's bulk job __id__ ended in state __state__",
    bulkNoOrg: "the org's id (zgid) for the upload could not be read",
    bulkFindBy: "update and upsert in bulk need the field to find existing records by",
    bulkUpload: "Zoho's file host did not return a file id for the upload",
    bulkJobLeft: "stopped while Zoho's bulk job __id__ was running: it goes on in Zoho, so these records may or may not be written",
    // Any Zoho API (the zoho-api node)
    apiHeaders: "msg.headers must be an object of header names and text values (no line breaks)",
    apiHeaderRefused: 'the header "__name__" cannot be set: the connection adds authorization itself, and requests go only to Zoho',
    apiQuery: "msg.query must be an object of query parameters (text, numbers, booleans or lists of them)",
    apiMultipart: "a multipart body must be an object of parts: Buffers, text, or {value, options: {filename, contentType}}",
    apiService: "the service must be crm or desk",
    apiMethod: 'unknown method "__method__" (use GET, POST, PUT, PATCH or DELETE)',
    apiOrgId: "the Desk organisation id must be digits",
    apiPlaceholder: "the path needs msg.__name__ (text or a number) for {{__name__}}",
    apiPathInvalid: "the path must name a resource below the service's base, e.g. /crm/v8/Leads or /tickets (no host, no .. and no query)",
    relatedList: "the related list must be its API name, e.g. Contacts, Deals, Notes or Attachments",
    deletedType: "the deleted-records type must be all, recycle or permanent",
    countAnswer: "Zoho's answer to the count is not a number",
    apiScopeMissing: "Zoho refused for lack of a scope (__zoho__): add __scope__ to the grant (Self Client > Generate Code) and press Refresh Token",
  },
  advice: {
    // Token endpoint (HTTP 200 bodies with an "error" key)
    invalid_code:
      "The grant token has expired or was already used, or the refresh token was revoked. Generate a new grant token (Self Client > Generate Code) and press Refresh Token within its validity",
    invalid_client:
      "Zoho does not know this Client ID at this data center. Check the Client ID and that the data center matches the one where the Self Client was created",
    invalid_client_secret: "The Client Secret does not match the Client ID. Copy it again from the Self Client's Client Secret tab",
    TOKEN_RATE_LIMITED:
      "Zoho is throttling token requests (too many in a short time). Wait a few minutes; the connection reuses its access token and will not retry before the cool-down ends",
    NO_REFRESH_TOKEN:
      "This connection has no refresh token yet. Open the Zoho connection, paste a fresh grant token, press Refresh Token and Deploy",
    MISSING_CREDENTIALS: "Open the Zoho connection and enter the Client ID and Client Secret of your Self Client",
    UNTRUSTED_API_DOMAIN:
      "The accounts server answered with an API domain that is not a Zoho API host, so no token was sent there. Check the data center and the accounts URL of the connection",
    // Our codes
    NO_CONNECTION: "Open the node and choose (or create) a Zoho connection, then Deploy",
    INVALID_ACCOUNTS_URL: "Open the Zoho connection and clear the Accounts URL, or enter one like https://accounts.zoho.eu",
    NOT_DEPLOYED: "Press Refresh Token in the connection (or Deploy it) first",
    // CRM API
    INVALID_TOKEN: "The access token was rejected even after a refresh. Press Refresh Token with a new grant token",
    AUTHENTICATION_FAILURE: "Zoho could not authenticate the request. Check the connection's credentials",
    OAUTH_SCOPE_MISMATCH:
      "The refresh token lacks a scope this call needs. Generate a new grant token that includes it (e.g. ZohoCRM.modules.ALL, ZohoCRM.settings.ALL, ZohoCRM.coql.READ, ZohoSearch.securesearch.READ) and press Refresh Token",
    NO_PERMISSION:
      "The Zoho user behind this connection is not allowed to do this. Check the user's profile permissions (for Crm_Implied_Api_Access: enable 'Zoho CRM API Access' in the profile)",
    INVALID_MODULE: "Check the module's API name (e.g. Leads, Contacts, or your custom module's API name under Setup > Developer Hub > APIs)",
    INVALID_URL_PATTERN: "Check the module's API name and the record id",
    REQUIRED_PARAM_MISSING: "A required parameter is missing",
    LIMIT_EXCEEDED: "A Zoho limit was exceeded (at most 50 fields per call, 100 records per write, 2,000 rows per COQL call)",
    LIMIT_REACHED: "Search can return at most 2,000 records; narrow the criteria or use COQL",
    INVALID_QUERY: "Check the field API names, operators and values in the query or criteria",
    SYNTAX_ERROR: "Check the COQL query: it needs a WHERE clause (use 'where id is not null' for all rows) and nested conditions in pairs",
    TOO_MANY_REQUESTS:
      "Zoho's rate or concurrency limit was hit and retries did not help. Lower the connection's concurrency, or spread the work out; check the API credits left in Zoho (Setup > Developer Hub > APIs > Dashboard)",
    INTERNAL_ERROR: "Zoho had an internal error. Try again later",
    TIMEOUT: "Zoho did not answer in time. Check the network; the request may be retried later",
    NETWORK_ERROR: "Could not reach Zoho. Check the network, the data center and any proxy settings",
    OUTCOME_UNKNOWN:
      "The connection failed after the request was sent, so Zoho may or may not have processed it. Check in Zoho before sending it again, or use upsert so a repeat cannot create a duplicate",
    PAGINATION_LIMIT_EXCEEDED: "Zoho lists at most 100,000 records per query; use a narrower list or COQL with criteria",
    DISCRETE_PAGINATION_LIMIT_EXCEEDED: "Past 2,000 records Zoho needs page_token paging",
    TOKEN_BOUND_DATA_MISMATCH: "A page token was reused with different parameters",
    EXPIRED_VALUE: "A page token expired (they last 24 hours); start the read again",
    INVALID_DATA: "Zoho rejected a value; see details for the field",
    MANDATORY_NOT_FOUND: "A required field is missing; see details.api_name",
    DUPLICATE_DATA: "A record with this unique value already exists; see details (use upsert to update it instead)",
    INVALID_INPUT: "Check the message and the node's settings",
    ABORTED: "The request was stopped because the flow was stopped or redeployed",
    // Advice of ours for particular cases
    apiAccessDisabled:
      "API access is disabled for this user's profile: in Zoho CRM go to Setup > Users and Control > Security Control > Profiles and enable 'Zoho CRM API Access'",
    setModule: "Set the module's API name (e.g. Leads)",
    setModuleNodeOrMsg: "Set the module's API name (e.g. Leads) in the node or in msg",
    coqlExample: "e.g. select Last_Name, Email from Leads where Email is not null",
    notJson: "Remove BigInt values and circular references",
    urlTooLong: "Use fewer or shorter criteria values, or fewer fields",
    newGrantToken: "Generate a new grant token in the Self Client and press Refresh Token again",
    refreshTokenRevoked:
      "The refresh token was revoked or replaced (Zoho keeps at most 20 per user). Generate a new grant token, press Refresh Token in the connection and Deploy",
    checkAccountsUrl: "Check the data center and the accounts URL",
    deletePayload: "For delete, msg.payload is an id, a record with id, or an array of them",
    recordObject: "Each record must be an object of field API names and values",
    recordValues: "Send field API names with text, number, boolean, null, date, object or array values",
    readIdFirst: "Read the record first (or use upsert) to get its id",
    idsAsStrings: "Zoho ids have 18-19 digits, more than a JavaScript number holds exactly: pass ids as strings",
    unmatched:
      "Zoho's answer could not be matched to the records, so they may or may not have been written. Check in Zoho before sending them again",
    tickEvents: "Tick at least one of created, updated and deleted",
    startFromExample: "Use now, all, or a date-time such as 2024-05-10T00:00:00+05:30",
    BULK_JOB_FAILED: "See details for Zoho's reason. Check the module, the fields and the criteria; a job fails as a whole, so nothing of it was written",
    bulkScopes:
      "Bulk Read needs the scope ZohoCRM.bulk.READ (or ZohoCRM.bulk.ALL), Bulk Write ZohoCRM.bulk.CREATE (or ALL) and ZohoFiles.files.ALL: generate a grant token that includes them and press Refresh Token",
    WATCH_NOT_ACCEPTED: "Zoho did not accept the watch channel (HTTP 202). Check the module and that the public URL is an absolute http(s) address",
  },
  values: {
    null: "null",
    nothing: "nothing",
    array: "an array",
    object: "an object",
    notRecord: "an object that is not a record",
    ofType: "a __type__",
    typed: "__type__ __value__",
    text: 'the text "__text__"',
    theRecord: "the record",
    field: "field __name__",
    invalidUrl: "an invalid URL",
  },
  caps: {
    search_limit: "Zoho's search returns at most 2,000 records; narrow the criteria or use COQL to read the rest",
    list_limit: "Zoho lists at most 100,000 records per read; narrow it with a custom view or modified-since, or use COQL",
    coql_limit: "COQL reaches at most 100,000 rows per query; add criteria (e.g. on id) to read the rest",
  },
} as const;

export type ErrorKey = keyof typeof TEXTS.errors;
export type AdviceKey = keyof typeof TEXTS.advice;
export type TextKey =
  | `errors.${ErrorKey}`
  | `advice.${AdviceKey}`
  | `values.${keyof typeof TEXTS.values}`
  | `caps.${keyof typeof TEXTS.caps}`;

/** One of our texts: its key and the values of its placeholders (a value may itself be a text). */
export interface Text {
  key: TextKey;
  params?: Params;
}
export type Params = { readonly [name: string]: string | number | Text };

/**
 * Looks a text up in another language (e.g. in a Node-RED catalog), with its placeholders filled
 * in; undefined when it has no such text, and the English is used.
 */
export type Translator = (key: TextKey, params: Record<string, string>) => string | undefined;

/** A text in the translator's language, or in English without one. */
export function render(text: Text, translate?: Translator): string {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(text.params ?? {})) {
    params[name] = typeof value === "object" ? render(value, translate) : String(value);
  }
  return translate?.(text.key, params) ?? fill(english(text.key), params);
}

/** The English of a key as written in TEXTS (placeholders not filled in); an unknown key stays as it is. */
export function english(key: string): string {
  const dot = key.indexOf(".");
  const section = (TEXTS as unknown as Record<string, Record<string, string> | undefined>)[key.slice(0, dot)];
  return section && Object.prototype.hasOwnProperty.call(section, key.slice(dot + 1)) ? section[key.slice(dot + 1)] : key;
}

/** A message and its advice as carried by errors and results: English, and keys where they are ours. */
export interface Texts {
  message: string;
  key?: ErrorKey;
  params?: Params;
  advice?: string;
  adviceKey?: AdviceKey;
}

/** The message and advice in the translator's language: ours by key, Zoho's message as it is. */
export function translateTexts(texts: Texts, translate?: Translator): { message: string; advice?: string } {
  return {
    message: texts.key ? render({ key: `errors.${texts.key}`, params: texts.params }, translate) : texts.message,
    advice: texts.adviceKey && texts.advice ? render({ key: `advice.${texts.adviceKey}` }, translate) : texts.advice,
  };
}

export function isAdviceKey(key: string): key is AdviceKey {
  return Object.prototype.hasOwnProperty.call(TEXTS.advice, key);
}

/** Put the values in, in one pass: a value containing __x__ is not filled in again. */
function fill(template: string, params: Record<string, string>): string {
  return template.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? params[name] : whole,
  );
}
