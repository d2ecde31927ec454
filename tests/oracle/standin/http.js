import { state } from "./control.js";

// The platform's AuthClient: `user` per request, `isAuthenticated()` narrowing.
export const auth = {
  get user() {
    return state.user;
  },
  isAuthenticated() {
    return state.user !== null;
  },
};
