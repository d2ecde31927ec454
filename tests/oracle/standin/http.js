import { state } from "./control.js";

export const auth = {
  get user() {
    return state.user;
  },
};
