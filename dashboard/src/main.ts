/** The dashboard's entry point. */
document.title = 'EvalForge';
