// The gateway admin credentials the page was given (asked once, kept in this page's memory only): the
// mute form and search both send them; a 401 forgets them.
let header: string | undefined;

export const hasCredentials = (): boolean => header !== undefined;
export const credentials = (): string | undefined => header;
export const forgetCredentials = (): void => {
  header = undefined;
};

export function setCredentials(user: string, password: string): void {
  header = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;
}
