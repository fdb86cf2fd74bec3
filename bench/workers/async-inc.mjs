// A module with an async function, for the make-synchronized and one-liner cases.
export default async (x) => x + 1;
export const inc = async (x) => x + 1;
