export { LibraryPage } from "./library/LibraryPage";
