// Exit codes, the same for every command: CI scripts branch on them.
export const EXIT = {
  ok: 0, // all expectations met
  failed: 1, // an expectation failed
  usage: 2, // usage or scenario error
  infra: 3, // infrastructure error: broker would not start, tool missing, board dead
  interrupted: 130,
} as const;
