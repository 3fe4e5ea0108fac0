// Demo modules seeded by default (seedDemo: true). Field API names follow Zoho CRM's standard modules.
import { FieldInput, ModuleInput } from "./store";

export const LEAD_SOURCES = [
  "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store", "Partner",
  "Public Relations", "Seminar Partner", "Trade Show", "Web Download", "Web Research", "Chat",
];
export const LEAD_STATUSES = [
  "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead", "Not Contacted", "Pre-Qualified", "Not Qualified",
];
export const INDUSTRIES = [
  "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)", "Government/Military",
  "Large Enterprise", "Management ISV", "MSP (Management Service Provider)", "Network Equipment Enterprise",
  "Non-management ISV", "Optical Networking", "Service Provider", "Small/Medium Enterprise", "Storage Equipment",
  "Storage Service Provider", "Systems Integrator", "Wireless Industry",
];
export const RATINGS = ["Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"];
export const SALUTATIONS = ["Mr.", "Mrs.", "Ms.", "Dr.", "Prof."];
export const LANGUAGES = ["English", "German", "French", "Spanish", "Hindi", "Japanese"];
export const STAGES = [
  "Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers", "Proposal/Price Quote",
  "Negotiation/Review", "Closed Won", "Closed Lost",
];
export const ACCOUNT_TYPES = ["Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Partner", "Press", "Prospect", "Reseller", "Other"];
export const PROJECT_STATUSES = ["Not Started", "In Progress", "On Hold", "Completed", "Cancelled"];

/** Who created and last changed a record, and when: every module has them (Notes and Attachments only these). */
export const AUDIT_FIELDS: readonly FieldInput[] = [
  { api_name: "Created_By", data_type: "ownerlookup", read_only: true },
  { api_name: "Modified_By", data_type: "ownerlookup", read_only: true },
  { api_name: "Created_Time", data_type: "datetime", read_only: true },
  { api_name: "Modified_Time", data_type: "datetime", read_only: true },
];

const system = (extra: FieldInput[] = []): FieldInput[] => [
  ...AUDIT_FIELDS,
  { api_name: "Last_Activity_Time", data_type: "datetime", read_only: true },
  { api_name: "Record_Status__s", data_type: "picklist", read_only: true, pick_list_values: ["Available", "Draft", "Trash"] },
  ...extra,
];

const leadsFields: FieldInput[] = [
  { api_name: "Owner", data_type: "ownerlookup", field_label: "Lead Owner" },
  { api_name: "Salutation", data_type: "picklist", pick_list_values: SALUTATIONS },
  { api_name: "First_Name", data_type: "text" },
  { api_name: "Last_Name", data_type: "text", system_mandatory: true },
  { api_name: "Full_Name", data_type: "text", read_only: true, field_label: "Lead Name" },
  { api_name: "Designation", data_type: "text", field_label: "Title" },
  { api_name: "Company", data_type: "text" },
  { api_name: "Email", data_type: "email", unique: true },
  { api_name: "Secondary_Email", data_type: "email" },
  { api_name: "Phone", data_type: "phone" },
  { api_name: "Mobile", data_type: "phone" },
  { api_name: "Fax", data_type: "phone" },
  { api_name: "Website", data_type: "website" },
  { api_name: "Lead_Source", data_type: "picklist", pick_list_values: LEAD_SOURCES },
  { api_name: "Lead_Status", data_type: "picklist", pick_list_values: LEAD_STATUSES },
  { api_name: "Industry", data_type: "picklist", pick_list_values: INDUSTRIES },
  { api_name: "No_of_Employees", data_type: "integer" },
  { api_name: "Annual_Revenue", data_type: "currency" },
  { api_name: "Rating", data_type: "picklist", pick_list_values: RATINGS },
  { api_name: "Email_Opt_Out", data_type: "boolean" },
  { api_name: "Skype_ID", data_type: "text" },
  { api_name: "Twitter", data_type: "text" },
  { api_name: "Street", data_type: "text" },
  { api_name: "City", data_type: "text" },
  { api_name: "State", data_type: "text" },
  { api_name: "Zip_Code", data_type: "text" },
  { api_name: "Country", data_type: "text" },
  { api_name: "Description", data_type: "textarea" },
  ...system(),
  { api_name: "Converted__s", data_type: "boolean", read_only: true, field_label: "Is Converted" },
  { api_name: "Converted_Date_Time", data_type: "datetime", read_only: true },
  { api_name: "Lead_Conversion_Time", data_type: "integer", read_only: true },
  { api_name: "Unsubscribed_Mode", data_type: "picklist", pick_list_values: ["Consent form", "Manual", "Unsubscribe link", "Zoho campaigns"] },
  { api_name: "Unsubscribed_Time", data_type: "datetime" },
  { api_name: "Data_Source", data_type: "picklist", read_only: true, pick_list_values: ["API", "Web", "Import"] },
  { api_name: "Enrich_Status__s", data_type: "picklist", read_only: true, pick_list_values: ["Available", "Enriched"] },
  { api_name: "Last_Enriched_Time__s", data_type: "datetime", read_only: true },
  { api_name: "Change_Log_Time__s", data_type: "datetime", read_only: true },
  { api_name: "Locked__s", data_type: "boolean", read_only: true },
  { api_name: "Data_Processing_Basis", data_type: "picklist", pick_list_values: ["Contract", "Legitimate Interests", "Obtained consent", "Not Applicable"] },
  { api_name: "Languages_Known", data_type: "multiselectpicklist", pick_list_values: LANGUAGES },
  // custom fields (so Leads has > 50 fields and "all fields" needs two list calls)
  { api_name: "Budget", data_type: "currency", custom_field: true },
  { api_name: "Preferred_Contact_Time", data_type: "picklist", custom_field: true, pick_list_values: ["Morning", "Afternoon", "Evening"] },
  { api_name: "Lead_Score", data_type: "integer", custom_field: true },
  { api_name: "Next_Follow_Up", data_type: "date", custom_field: true },
  { api_name: "Campaign_Code", data_type: "text", custom_field: true },
  { api_name: "Referral_Source", data_type: "text", custom_field: true },
  { api_name: "Interest_Level", data_type: "picklist", custom_field: true, pick_list_values: ["Low", "Medium", "High"] },
  { api_name: "Product_Interest", data_type: "multiselectpicklist", custom_field: true, pick_list_values: ["CRM", "Desk", "Books", "Analytics", "Campaigns"] },
  { api_name: "Region", data_type: "picklist", custom_field: true, pick_list_values: ["APAC", "EMEA", "NA", "LATAM"] },
  { api_name: "Trial_Start", data_type: "datetime", custom_field: true },
  { api_name: "Newsletter", data_type: "boolean", custom_field: true },
  { api_name: "Discount", data_type: "percent", custom_field: true },
  { api_name: "Notes_Summary", data_type: "textarea", custom_field: true },
  { api_name: "LinkedIn_URL", data_type: "website", custom_field: true },
  { api_name: "Follow_Up_Count", data_type: "integer", custom_field: true },
  { api_name: "Last_Contacted", data_type: "datetime", custom_field: true },
  { api_name: "Customer_Tier", data_type: "picklist", custom_field: true, pick_list_values: ["Bronze", "Silver", "Gold", "Platinum"] },
];

const contactsFields: FieldInput[] = [
  { api_name: "Owner", data_type: "ownerlookup", field_label: "Contact Owner" },
  { api_name: "Salutation", data_type: "picklist", pick_list_values: SALUTATIONS },
  { api_name: "First_Name", data_type: "text" },
  { api_name: "Last_Name", data_type: "text", system_mandatory: true },
  { api_name: "Full_Name", data_type: "text", read_only: true, field_label: "Contact Name" },
  { api_name: "Account_Name", data_type: "lookup", lookup_module: "Accounts" },
  { api_name: "Email", data_type: "email", unique: true },
  { api_name: "Secondary_Email", data_type: "email" },
  { api_name: "Title", data_type: "text" },
  { api_name: "Department", data_type: "text" },
  { api_name: "Phone", data_type: "phone" },
  { api_name: "Home_Phone", data_type: "phone" },
  { api_name: "Mobile", data_type: "phone" },
  { api_name: "Fax", data_type: "phone" },
  { api_name: "Date_of_Birth", data_type: "date" },
  { api_name: "Assistant", data_type: "text" },
  { api_name: "Asst_Phone", data_type: "phone" },
  { api_name: "Lead_Source", data_type: "picklist", pick_list_values: LEAD_SOURCES },
  { api_name: "Email_Opt_Out", data_type: "boolean" },
  { api_name: "Skype_ID", data_type: "text" },
  { api_name: "Twitter", data_type: "text" },
  { api_name: "Reporting_To", data_type: "lookup", lookup_module: "Contacts" },
  { api_name: "Mailing_Street", data_type: "text" },
  { api_name: "Mailing_City", data_type: "text" },
  { api_name: "Mailing_State", data_type: "text" },
  { api_name: "Mailing_Zip", data_type: "text" },
  { api_name: "Mailing_Country", data_type: "text" },
  { api_name: "Description", data_type: "textarea" },
  { api_name: "Languages_Known", data_type: "multiselectpicklist", pick_list_values: LANGUAGES },
  ...system(),
];

const accountsFields: FieldInput[] = [
  { api_name: "Owner", data_type: "ownerlookup", field_label: "Account Owner" },
  { api_name: "Account_Name", data_type: "text", system_mandatory: true },
  { api_name: "Account_Number", data_type: "text" },
  { api_name: "Account_Site", data_type: "text" },
  { api_name: "Parent_Account", data_type: "lookup", lookup_module: "Accounts" },
  { api_name: "Account_Type", data_type: "picklist", pick_list_values: ACCOUNT_TYPES },
  { api_name: "Industry", data_type: "picklist", pick_list_values: INDUSTRIES },
  { api_name: "Annual_Revenue", data_type: "currency" },
  { api_name: "Employees", data_type: "integer" },
  { api_name: "Ownership", data_type: "picklist", pick_list_values: ["Government", "Private", "Public", "Subsidiary", "Other"] },
  { api_name: "Rating", data_type: "picklist", pick_list_values: RATINGS },
  { api_name: "Phone", data_type: "phone" },
  { api_name: "Fax", data_type: "phone" },
  { api_name: "Website", data_type: "website" },
  { api_name: "Ticker_Symbol", data_type: "text" },
  { api_name: "SIC_Code", data_type: "integer" },
  { api_name: "Billing_Street", data_type: "text" },
  { api_name: "Billing_City", data_type: "text" },
  { api_name: "Billing_State", data_type: "text" },
  { api_name: "Billing_Code", data_type: "text" },
  { api_name: "Billing_Country", data_type: "text" },
  { api_name: "Shipping_Street", data_type: "text" },
  { api_name: "Shipping_City", data_type: "text" },
  { api_name: "Shipping_State", data_type: "text" },
  { api_name: "Shipping_Code", data_type: "text" },
  { api_name: "Shipping_Country", data_type: "text" },
  { api_name: "Description", data_type: "textarea" },
  ...system(),
];

const dealsFields: FieldInput[] = [
  { api_name: "Owner", data_type: "ownerlookup", field_label: "Deal Owner" },
  { api_name: "Deal_Name", data_type: "text", system_mandatory: true },
  { api_name: "Amount", data_type: "currency" },
  { api_name: "Closing_Date", data_type: "date" },
  { api_name: "Account_Name", data_type: "lookup", lookup_module: "Accounts" },
  { api_name: "Stage", data_type: "picklist", system_mandatory: true, pick_list_values: STAGES },
  { api_name: "Type", data_type: "picklist", pick_list_values: ["Existing Business", "New Business"] },
  { api_name: "Probability", data_type: "percent" },
  { api_name: "Expected_Revenue", data_type: "currency", read_only: true },
  { api_name: "Next_Step", data_type: "text" },
  { api_name: "Lead_Source", data_type: "picklist", pick_list_values: LEAD_SOURCES },
  { api_name: "Contact_Name", data_type: "lookup", lookup_module: "Contacts" },
  { api_name: "Pipeline", data_type: "picklist", pick_list_values: ["Standard (Standard)"] },
  { api_name: "Description", data_type: "textarea" },
  ...system(),
];

const projectsFields: FieldInput[] = [
  { api_name: "Name", data_type: "text", system_mandatory: true, field_label: "Project Name" },
  { api_name: "Owner", data_type: "ownerlookup", field_label: "Project Owner" },
  { api_name: "Email", data_type: "email" },
  { api_name: "Secondary_Email", data_type: "email" },
  { api_name: "Email_Opt_Out", data_type: "boolean" },
  { api_name: "Status", data_type: "picklist", custom_field: true, pick_list_values: PROJECT_STATUSES },
  { api_name: "Budget", data_type: "currency", custom_field: true },
  { api_name: "Start_Date", data_type: "date", custom_field: true },
  { api_name: "Due_Date", data_type: "date", custom_field: true },
  { api_name: "Progress", data_type: "percent", custom_field: true },
  { api_name: "Account", data_type: "lookup", lookup_module: "Accounts", custom_field: true },
  { api_name: "Description", data_type: "textarea", custom_field: true },
  ...system(),
];

/** Notes: Parent_Id is a lookup without lookup_module, so it points at a record of any module (named by $se_module). */
const notesFields: FieldInput[] = [
  { api_name: "Owner", data_type: "ownerlookup", field_label: "Note Owner" },
  { api_name: "Note_Title", data_type: "text" },
  { api_name: "Note_Content", data_type: "textarea" },
  { api_name: "Parent_Id", data_type: "lookup", field_label: "Parent ID" },
  ...AUDIT_FIELDS,
];

export const DEMO_MODULES: ModuleInput[] = [
  { api_name: "Home", module_name: "Home", singular_label: "Home", plural_label: "Home", api_supported: false, fields: [] },
  {
    api_name: "Leads", singular_label: "Lead", plural_label: "Leads", fields: leadsFields,
    mandatory: ["Last_Name"], uniqueFields: ["Email"], defaultDuplicateCheck: ["Email"], display_field: "Full_Name",
  },
  {
    api_name: "Contacts", singular_label: "Contact", plural_label: "Contacts", fields: contactsFields,
    mandatory: ["Last_Name"], uniqueFields: ["Email"], defaultDuplicateCheck: ["Email"], display_field: "Full_Name",
    related_lists: [{ api_name: "Deals", module: "Deals", field: "Contact_Name" }],
  },
  {
    api_name: "Accounts", singular_label: "Account", plural_label: "Accounts", fields: accountsFields,
    mandatory: ["Account_Name"], defaultDuplicateCheck: ["Account_Name"], display_field: "Account_Name",
    related_lists: [
      { api_name: "Contacts", module: "Contacts", field: "Account_Name" },
      { api_name: "Deals", module: "Deals", field: "Account_Name" },
    ],
  },
  {
    api_name: "Deals", singular_label: "Deal", plural_label: "Deals", fields: dealsFields,
    mandatory: ["Deal_Name", "Stage"], defaultDuplicateCheck: ["Deal_Name"], display_field: "Deal_Name",
  },
  {
    api_name: "Projects", singular_label: "Project", plural_label: "Projects", generated_type: "custom", fields: projectsFields,
    mandatory: ["Name"], defaultDuplicateCheck: ["Name"], display_field: "Name",
  },
  {
    api_name: "Notes", singular_label: "Note", plural_label: "Notes", fields: notesFields,
    mandatory: ["Note_Content", "Parent_Id"], display_field: "Note_Title",
  },
];
