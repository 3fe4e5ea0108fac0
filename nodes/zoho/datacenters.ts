/** Zoho data centers and the hosts that belong to them (zoho-crm-api.md §1). */

export type DataCenter = "us" | "eu" | "in" | "au" | "cn" | "jp" | "ca" | "sa";
export type Environment = "production" | "sandbox" | "developer";

export interface DataCenterInfo {
  label: string;
  accountsUrl: string;
  apiDomain: string;
  apiConsole: string;
}

export const DATA_CENTERS: Record<DataCenter, DataCenterInfo> = {
  us: { label: "United States (.com)", accountsUrl: "https://accounts.zoho.com", apiDomain: "https://www.zohoapis.com", apiConsole: "https://api-console.zoho.com" },
  eu: { label: "Europe (.eu)", accountsUrl: "https://accounts.zoho.eu", apiDomain: "https://www.zohoapis.eu", apiConsole: "https://api-console.zoho.eu" },
  in: { label: "India (.in)", accountsUrl: "https://accounts.zoho.in", apiDomain: "https://www.zohoapis.in", apiConsole: "https://api-console.zoho.in" },
  au: { label: "Australia (.com.au)", accountsUrl: "https://accounts.zoho.com.au", apiDomain: "https://www.zohoapis.com.au", apiConsole: "https://api-console.zoho.com.au" },
  cn: { label: "China (.com.cn)", accountsUrl: "https://accounts.zoho.com.cn", apiDomain: "https://www.zohoapis.com.cn", apiConsole: "https://api-console.zoho.com.cn" },
  jp: { label: "Japan (.jp)", accountsUrl: "https://accounts.zoho.jp", apiDomain: "https://www.zohoapis.jp", apiConsole: "https://api-console.zoho.jp" },
  // Canada's accounts server is zohocloud.ca, not zoho.ca.
  ca: { label: "Canada (.ca)", accountsUrl: "https://accounts.zohocloud.ca", apiDomain: "https://www.zohoapis.ca", apiConsole: "https://api-console.zohocloud.ca" },
  sa: { label: "Saudi Arabia (.sa)", accountsUrl: "https://accounts.zoho.sa", apiDomain: "https://www.zohoapis.sa", apiConsole: "https://api-console.zoho.sa" },
};

export const ENVIRONMENTS: Environment[] = ["production", "sandbox", "developer"];

export function isDataCenter(value: unknown): value is DataCenter {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(DATA_CENTERS, value);
}

export function isEnvironment(value: unknown): value is Environment {
  return typeof value === "string" && (ENVIRONMENTS as string[]).includes(value);
}

/** Base URL of the accounts server: an explicit override (proxy, simulator) or the data center's own. */
export function accountsBaseUrl(dataCenter: DataCenter, override?: string): string {
  const explicit = (override ?? "").trim();
  return stripTrailingSlash(explicit || DATA_CENTERS[dataCenter].accountsUrl);
}

export function tokenEndpoint(accountsUrl: string): string {
  return `${stripTrailingSlash(accountsUrl)}/oauth/v2/token`;
}

/** Zoho API hosts: {www,sandbox,developer,content}.zohoapis.{tld}. Tokens may only go there. */
const ZOHO_API_HOST = /^(?:www|sandbox|developer)\.zohoapis\.(?:com|eu|in|com\.au|com\.cn|jp|ca|sa|uk|ae)$/;

export function isZohoApiDomain(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" && ZOHO_API_HOST.test(parsed.hostname) && !parsed.username && !parsed.password;
  } catch {
    return false;
  }
}

/**
 * The API base for an environment. The accounts server returns the production domain
 * (www.zohoapis.*); sandbox and developer orgs live on sandbox./developer. of the same domain.
 */
export function apiDomainForEnvironment(apiDomain: string, environment: Environment): string {
  const base = stripTrailingSlash(apiDomain);
  if (environment === "production") return base;
  try {
    const url = new URL(base);
    if (url.hostname.startsWith("www.")) {
      url.hostname = `${environment}.${url.hostname.slice(4)}`;
      return stripTrailingSlash(url.toString());
    }
  } catch {
    /* fall through: returned unchanged, validated by the caller */
  }
  return base;
}

export function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
