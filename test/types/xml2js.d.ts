// The one function of xml2js (dorny/test-reporter's XML parser) the junit test uses; xml2js ships no types.
declare module 'xml2js' {
  export function parseStringPromise(xml: string): Promise<unknown>;
}
