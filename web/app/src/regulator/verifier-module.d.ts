// The regulator verifier (clients/regulator/browser.ts, bundled by Vite through this alias). Its
// sources need Node's types to type-check, which the page's check has not: the page sees the API
// (browser-api.ts), and the project's check proves browser.ts implements it.
declare module '@regulator-verifier' {
  export const verifier: import('../../../../clients/regulator/browser-api.ts').BrowserVerifierApi;
}
