//! [`OutputTag`]: names a side output of an operator and its record type (Flink's
//! `OutputTag<T>`). A process function emits to it through its context; the program reads it
//! with [`crate::api::stream::DataStream::get_side_output`].

use std::marker::PhantomData;

/// A typed side-output name.
#[derive(Debug)]
pub struct OutputTag<T> {
    id: String,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for OutputTag<T> {
    fn clone(&self) -> Self {
        OutputTag {
            id: self.id.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> OutputTag<T> {
    pub fn new(id: &str) -> OutputTag<T> {
        OutputTag {
            id: id.to_owned(),
            _type: PhantomData,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}
